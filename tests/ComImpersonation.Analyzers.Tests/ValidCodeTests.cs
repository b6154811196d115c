using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using ComImpersonation.Analyzers.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace ComImpersonation.Analyzers.Tests
{
    /// <summary>
    /// The valid-code corpus (ValidCode/*.cs, copied to the output directory): correct server code in every
    /// interop flavour and impersonation family. Each file is compiled on its own and must produce no diagnostic at
    /// all: no COMIMP diagnostic and no compiler error.
    /// <para>
    /// <b>References.</b> A file whose name starts with <c>NetFramework</c> is compiled against the .NET Framework 4.8
    /// reference assemblies (<see cref="NetFramework"/>: mscorlib, System, System.Core), for the APIs .NET Core lacks
    /// (<c>WindowsIdentity.Impersonate()</c>, <c>WindowsImpersonationContext</c>); every other file against .NET.
    /// </para>
    /// <para>
    /// <b>Positive controls.</b> A quiet file proves nothing if the analyzer recognises none of its interop (a
    /// misdeclared P/Invoke, a wrong GUID). So every file declares, in a comment line of its own,
    /// <c>// positive-control: COMIMP002</c> (one or more rule IDs, comma-separated), and marks one or more lines
    /// with the trailing comment <c>// control: remove</c> (typically reverts). For each marked line on its own, the
    /// file without that line must compile without errors and be reported with at least one diagnostic of a declared
    /// rule. A file with no declaration or no marked line fails. A marked line must hold a whole statement (or
    /// whole statements), so removing it leaves code that compiles.
    /// </para>
    /// <para>
    /// <b>Known misses.</b> A mutation that should be reported (per SPEC) but that the analyzer does not report yet
    /// is marked <c>// control: remove (not reported yet)</c>: its mutant must still compile and must not be
    /// reported, so the test fails, asking for the plain marker, once the analyzer catches it. Every file still
    /// needs at least one plain <c>// control: remove</c>.
    /// </para>
    /// </summary>
    public class ValidCodeTests
    {
        private const string FolderName = "ValidCode";

        /// <summary>Files whose name starts with this are compiled against .NET Framework 4.8.</summary>
        private const string NetFrameworkPrefix = "NetFramework";

        private const string ControlMarker = "// control: remove";

        private const string KnownMissMarker = "// control: remove (not reported yet)";

        private static readonly Regex ControlDeclaration = new Regex(
            @"^[ \t]*//[ \t]*positive-control:[ \t]*(?<ids>COMIMP\d{3}(?:[ \t]*,[ \t]*COMIMP\d{3})*)[ \t]*\r?$",
            RegexOptions.Multiline | RegexOptions.CultureInvariant);

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
            string text = await ReadAsync(file);
            var test = new ValidCodeTest();
            if (IsNetFramework(file))
            {
                test.TestState.AdditionalReferences.Clear();
                test.TestState.AdditionalReferences.AddRange(NetFramework.References);
            }

            test.TestState.Sources.Add((file, text));

            // No expected diagnostics: any COMIMP diagnostic (Info included) or compiler error fails the test;
            // the testing library also re-runs the file marked as generated code and with suppressions.
            await test.RunAsync(CancellationToken.None);
        }

        [Theory]
        [MemberData(nameof(Files))]
        public async Task Positive_control_is_reported(string file)
        {
            string text = await ReadAsync(file);

            Match declaration = ControlDeclaration.Match(text);
            Assert.True(declaration.Success, file + " declares no positive control: add a line '// positive-control: COMIMPnnn' naming the rule(s) its mutation must trigger.");
            HashSet<string> expected = declaration.Groups["ids"].Value.Split(',').Select(id => id.Trim()).ToHashSet(StringComparer.Ordinal);

            string[] lines = text.Split('\n');
            int[] marked = MarkedLines(lines, ControlMarker);
            int[] knownMisses = MarkedLines(lines, KnownMissMarker);
            Assert.True(marked.Length > 0, file + " marks no line with '" + ControlMarker + "': mark the revert(s) whose removal must be reported.");

            var failures = new List<string>();
            foreach (int index in marked.Concat(knownMisses))
            {
                bool knownMiss = knownMisses.Contains(index);
                string line = lines[index].Trim();
                Assert.True(line.Length > (knownMiss ? KnownMissMarker : ControlMarker).Length, file + "(" + (index + 1) + "): the marked line holds no code.");

                string mutant = string.Join("\n", lines.Where((_, i) => i != index));
                (ImmutableArray<Diagnostic> errors, ImmutableArray<Diagnostic> reported) = await AnalyzeAsync(file, mutant);
                string where = file + "(" + (index + 1) + ") without `" + line + "`: ";
                bool caught = reported.Any(d => expected.Contains(d.Id));
                if (!errors.IsEmpty)
                {
                    failures.Add(where + "does not compile: " + string.Join("; ", errors.Select(e => e.ToString())));
                }
                else if (knownMiss && caught)
                {
                    failures.Add(where + "is reported now: change its marker to '" + ControlMarker + "'");
                }
                else if (!knownMiss && !caught)
                {
                    failures.Add(where + "no " + string.Join(" or ", expected.OrderBy(id => id, StringComparer.Ordinal)) + " reported"
                        + (reported.IsEmpty ? " (nothing at all)" : " (only " + string.Join(", ", reported.Select(d => d.Id + " at line " + (d.Location.GetLineSpan().StartLinePosition.Line + 1))) + ")"));
                }
            }

            Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
        }

        /// <summary>The lines (0-based) whose code ends with exactly <paramref name="marker"/>.</summary>
        private static int[] MarkedLines(string[] lines, string marker) =>
            Enumerable.Range(0, lines.Length).Where(i => lines[i].TrimEnd().EndsWith(marker, StringComparison.Ordinal)).ToArray();

        private static bool IsNetFramework(string file) => file.StartsWith(NetFrameworkPrefix, StringComparison.Ordinal);

        private static async Task<string> ReadAsync(string file)
        {
            Assert.False(string.IsNullOrEmpty(file), "No *.cs files in " + Folder + ": the ValidCode corpus was not copied to the output directory.");
            return await File.ReadAllTextAsync(Path.Combine(Folder, file));
        }

        /// <summary>
        /// Compiles <paramref name="text"/> with the settings of <see cref="TestConfiguration"/> (C# 12, unsafe code,
        /// nullable disabled, the file's reference set) and runs the analyzer: the compiler's errors, and every
        /// analyzer diagnostic (an analyzer exception fails the test).
        /// </summary>
        private static async Task<(ImmutableArray<Diagnostic> Errors, ImmutableArray<Diagnostic> Reported)> AnalyzeAsync(string file, string text)
        {
            SyntaxTree tree = CSharpSyntaxTree.ParseText(text, new CSharpParseOptions(LanguageVersion.CSharp12), path: file);
            CSharpCompilation compilation = CSharpCompilation.Create(
                "PositiveControl",
                new[] { tree },
                IsNetFramework(file) ? NetFramework.References : TestReferences.Net,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Disable));

            ImmutableArray<Diagnostic> errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray();

            var exceptions = new List<Exception>();
            var options = new CompilationWithAnalyzersOptions(
                new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
                onAnalyzerException: (exception, analyzer, diagnostic) => { lock (exceptions) { exceptions.Add(exception); } },
                concurrentAnalysis: false,
                logAnalyzerExecutionTime: false);
            ImmutableArray<Diagnostic> reported = await compilation
                .WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new ImpersonationAnalyzer()), options)
                .GetAnalyzerDiagnosticsAsync(CancellationToken.None);
            Assert.True(exceptions.Count == 0, file + ": the analyzer threw: " + string.Join(Environment.NewLine, exceptions));
            return (errors, reported);
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
