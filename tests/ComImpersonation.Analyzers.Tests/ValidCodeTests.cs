using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ComImpersonation.Analyzers.Tests.Infrastructure;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;

namespace ComImpersonation.Analyzers.Tests
{
    /// <summary>
    /// The valid-code corpus (ValidCode/*.cs, copied to the output directory): correct COM server code in every
    /// interop flavour. Each file is compiled on its own and must produce no diagnostic at all: no COMIMP
    /// diagnostic and no compiler error.
    /// </summary>
    public class ValidCodeTests
    {
        private const string FolderName = "ValidCode";

        private static string Folder => Path.Combine(AppContext.BaseDirectory, FolderName);

        /// <summary>One case per corpus file; an empty or missing folder yields a case that fails rather than none.</summary>
        public static TheoryData<string> Files
        {
            get
            {
                var data = new TheoryData<string>();
                string[] files = Directory.Exists(Folder)
                    ? Directory.GetFiles(Folder, "*.cs").Select(f => Path.GetFileName(f)).OrderBy(f => f, StringComparer.Ordinal).ToArray()
                    : Array.Empty<string>();
                if (files.Length == 0)
                {
                    data.Add(string.Empty); // fails in the test: the corpus was not found
                }

                foreach (string file in files)
                {
                    data.Add(file);
                }

                return data;
            }
        }

        [Theory]
        [MemberData(nameof(Files))]
        public async Task Reports_nothing(string file)
        {
            Assert.False(string.IsNullOrEmpty(file), "No *.cs files in " + Folder + ": the ValidCode corpus was not copied to the output directory.");

            string text = await File.ReadAllTextAsync(Path.Combine(Folder, file));
            var test = new ValidCodeTest();
            test.TestState.Sources.Add((file, text));

            // No expected diagnostics: any COMIMP diagnostic (Info included) or compiler error fails the test;
            // the testing library also re-runs the file marked as generated code and with suppressions.
            await test.RunAsync(CancellationToken.None);
        }

        private sealed class ValidCodeTest : CSharpAnalyzerTest<ImpersonationAnalyzer, DefaultVerifier>
        {
            public ValidCodeTest()
            {
                TestConfiguration.Apply(this);
            }
        }
    }
}
