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
using Microsoft.CodeAnalysis.Testing;

namespace ComImpersonation.Analyzers.Tests
{
    /// <summary>
    /// Keeps samples/AsyncComServer honest: the analyzer's diagnostics on the sample are exactly the ones its
    /// <c>// expect: COMIMPnnn</c> comments announce, each on the line right below its comment.
    /// </summary>
    public class SampleTests
    {
        private static readonly Regex Marker = new Regex(@"^\s*//\s*expect:\s*(?<ids>COMIMP\d{3}(\s*,\s*COMIMP\d{3})*)\s*$");

        /// <summary>A comment line that starts like a marker; it must then be a well-formed one, never silently ignored.</summary>
        private static readonly Regex MarkerLike = new Regex(@"^\s*//\s*expect\b", RegexOptions.IgnoreCase);

        [Fact]
        public async Task Sample_reports_exactly_the_marked_diagnostics()
        {
            string sampleDirectory = RepositoryPaths.Combine("samples", "AsyncComServer");
            string[] files = Directory.GetFiles(sampleDirectory, "*.cs").OrderBy(f => f, StringComparer.Ordinal).ToArray();
            Assert.NotEmpty(files);

            var test = new SampleTest();
            var expected = new List<string>();
            foreach (string file in files)
            {
                string name = Path.GetFileName(file);
                string text = File.ReadAllText(file);
                test.TestState.Sources.Add((name, text));
                expected.AddRange(ExpectedIn(name, text));
            }

            Assert.NotEmpty(expected);

            // The testing library builds and checks the compilation (a compiler error fails the test); the analyzer's
            // own diagnostics are taken out of its comparison and compared here by rule ID and line only.
            await test.RunAsync(CancellationToken.None);

            List<string> actual = test.AnalyzerDiagnostics
                .Select(d => Key(Path.GetFileName(d.Location.GetLineSpan().Path), d.Location.GetLineSpan().StartLinePosition.Line + 1, d.Id))
                .Distinct()
                .OrderBy(k => k, StringComparer.Ordinal)
                .ToList();
            expected.Sort(StringComparer.Ordinal);

            string[] missing = expected.Except(actual).ToArray();
            string[] unexpected = actual.Except(expected).ToArray();
            Assert.True(
                missing.Length == 0 && unexpected.Length == 0,
                "Sample diagnostics differ from its '// expect:' markers." + Environment.NewLine
                + "Missing (marked, not reported):" + Format(missing) + Environment.NewLine
                + "Unexpected (reported, not marked):" + Format(unexpected));
        }

        /// <summary>(file, line, ID) for every ID of every marker: the diagnostic belongs on the line after the marker.</summary>
        private static IEnumerable<string> ExpectedIn(string fileName, string text)
        {
            string[] lines = text.Split('\n');
            for (int i = 0; i < lines.Length; i++)
            {
                Match match = Marker.Match(lines[i].TrimEnd('\r'));
                if (!match.Success)
                {
                    Assert.False(MarkerLike.IsMatch(lines[i]), $"{fileName}({i + 1}): malformed marker: {lines[i].Trim()}");
                    continue;
                }

                foreach (string id in match.Groups["ids"].Value.Split(','))
                {
                    yield return Key(fileName, i + 2, id.Trim()); // i is 0-based; the next line is i + 2 in 1-based lines
                }
            }
        }

        private static string Key(string fileName, int line, string id) => $"{fileName}({line}): {id}";

        private static string Format(string[] keys) =>
            keys.Length == 0 ? " none" : string.Concat(keys.Select(k => Environment.NewLine + "  " + k));

        private sealed class SampleTest : CSharpAnalyzerTest<ImpersonationAnalyzer, DefaultVerifier>
        {
            public SampleTest()
            {
                TestConfiguration.Apply(this);

                // As in AsyncComServer.csproj (the shared configuration turns nullable off).
                SolutionTransforms.Add((solution, projectId) =>
                {
                    var options = (CSharpCompilationOptions)solution.GetProject(projectId)!.CompilationOptions!;
                    return solution.WithProjectCompilationOptions(projectId, options.WithNullableContextOptions(NullableContextOptions.Enable));
                });

                // One run over the sample as written; the generated-code and suppression re-runs would add nothing here.
                TestBehaviors |= TestBehaviors.SkipGeneratedCodeCheck | TestBehaviors.SkipSuppressionCheck;
            }

            public List<Diagnostic> AnalyzerDiagnostics { get; } = new List<Diagnostic>();

            protected override ImmutableArray<(Project project, Diagnostic diagnostic)> FilterDiagnostics(ImmutableArray<(Project project, Diagnostic diagnostic)> diagnostics)
            {
                var rest = ImmutableArray.CreateBuilder<(Project project, Diagnostic diagnostic)>();
                foreach ((Project project, Diagnostic diagnostic) item in base.FilterDiagnostics(diagnostics))
                {
                    if (item.diagnostic.Id.StartsWith("COMIMP", StringComparison.Ordinal))
                    {
                        AnalyzerDiagnostics.Add(item.diagnostic);
                    }
                    else
                    {
                        rest.Add(item);
                    }
                }

                return rest.ToImmutable();
            }
        }
    }
}
