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

        /// <summary>A warning line of the README's "See it work" output: <c>File.cs(line,column): warning COMIMPnnn: message (help link)</c>.</summary>
        private static readonly Regex ReadmeWarning = new Regex(@"^(?<file>[A-Za-z]+\.cs)\((?<line>\d+),(?<column>\d+)\): warning (?<id>COMIMP\d{3}): (?<message>.*)$");

        [Fact]
        public async Task Sample_reports_exactly_the_marked_diagnostics()
        {
            (SampleTest test, List<string> expected) = await RunOnSampleAsync();
            Assert.NotEmpty(expected);

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

        /// <summary>
        /// The README's "See it work" section shows what its command prints on the sample: each warning, where it is and
        /// its whole message and help link, and no other (the README and the sample drifted apart once).
        /// </summary>
        [Fact]
        public async Task Readme_shows_what_the_sample_prints()
        {
            (SampleTest test, _) = await RunOnSampleAsync();
            List<string> printed = test.AnalyzerDiagnostics
                .Select(d => $"{Path.GetFileName(d.Location.GetLineSpan().Path)}({d.Location.GetLineSpan().StartLinePosition.Line + 1},{d.Location.GetLineSpan().StartLinePosition.Character + 1}): warning {d.Id}: {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)} ({d.Descriptor.HelpLinkUri})")
                .Distinct()
                .OrderBy(line => line, StringComparer.Ordinal)
                .ToList();
            List<string> shown = File.ReadAllLines(RepositoryPaths.Combine("README.md"))
                .Select(line => line.TrimEnd())
                .Where(line => ReadmeWarning.IsMatch(line))
                .OrderBy(line => line, StringComparer.Ordinal)
                .ToList();

            Assert.NotEmpty(shown);
            Assert.True(
                printed.SequenceEqual(shown),
                "README.md's sample output differs from what the sample prints." + Environment.NewLine
                + "Printed, not shown:" + Format(printed.Except(shown).ToArray()) + Environment.NewLine
                + "Shown, not printed:" + Format(shown.Except(printed).ToArray()));
        }

        /// <summary>The analyzer on the sample's sources as written, and the (file, line, ID) its markers announce.</summary>
        private static async Task<(SampleTest Test, List<string> Expected)> RunOnSampleAsync()
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

            // The testing library builds and checks the compilation (a compiler error fails the test); the analyzer's
            // own diagnostics are taken out of its comparison and compared by the callers.
            await test.RunAsync(CancellationToken.None);
            return (test, expected);
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
