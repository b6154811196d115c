using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace ComImpersonation.Analyzers.Tests.Infrastructure
{
    /// <summary>
    /// Runs <see cref="ImpersonationAnalyzer"/> over test sources written with the testing library's markup
    /// (<c>{|COMIMP001:…|}</c>), so each diagnostic's ID and exact span are asserted, and no other is allowed.
    /// Test sources must compile: compiler errors fail the test.
    /// </summary>
    internal static class Verify
    {
        public static Task AnalyzerAsync(string source, params DiagnosticResult[] expected) =>
            AnalyzerAsync(new[] { source }, expected);

        public static Task AnalyzerAsync(string[] sources, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest();
            foreach (string source in sources)
            {
                test.TestState.Sources.Add(source);
            }

            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync(CancellationToken.None);
        }

        /// <summary>
        /// An expected diagnostic. COMIMP001 and COMIMP003 carry the earlier signal or impersonation as an
        /// additional location (for the code fixes); tests that do not name it ignore it, and
        /// <see cref="DiagnosticWithRelated"/> asserts it.
        /// </summary>
        public static DiagnosticResult Diagnostic(string id, DiagnosticSeverity severity = DiagnosticSeverity.Warning) =>
            new DiagnosticResult(id, severity).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations);

        /// <summary>An expected diagnostic whose additional locations are asserted too (give them with a second <c>WithLocation</c>).</summary>
        public static DiagnosticResult DiagnosticWithRelated(string id) =>
            new DiagnosticResult(id, DiagnosticSeverity.Warning);

        internal sealed class AnalyzerTest : CSharpAnalyzerTest<ImpersonationAnalyzer, DefaultVerifier>
        {
            public AnalyzerTest()
            {
                TestConfiguration.Apply(this);
            }
        }
    }

    /// <summary>The compilation settings every test shares: C# 12, unsafe code allowed, .NET references.</summary>
    internal static class TestConfiguration
    {
        public static void Apply<TVerifier>(AnalyzerTest<TVerifier> test)
            where TVerifier : IVerifier, new()
        {
            test.ReferenceAssemblies = TestReferences.None;
            test.TestState.AdditionalReferences.AddRange(TestReferences.Net);
            test.SolutionTransforms.Add((solution, projectId) =>
            {
                Project project = solution.GetProject(projectId)!;
                var options = (CSharpCompilationOptions)project.CompilationOptions!;
                var parse = (CSharpParseOptions)project.ParseOptions!;
                return solution
                    .WithProjectCompilationOptions(projectId, options.WithAllowUnsafe(true).WithNullableContextOptions(NullableContextOptions.Disable))
                    .WithProjectParseOptions(projectId, parse.WithLanguageVersion(LanguageVersion.CSharp12));
            });
        }
    }
}
