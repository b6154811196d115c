using System;
using System.Collections.Immutable;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using ComImpersonation.Analyzers.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace ComImpersonation.Analyzers.Tests.Robustness
{
    /// <summary>
    /// The suite runs the analyzer with concurrent execution on (issue 8). The analyzer asks for it
    /// (<c>EnableConcurrentExecution</c>), but Roslyn only runs actions concurrently when the host also asks, through
    /// <c>CompilationWithAnalyzersOptions.ConcurrentAnalysis</c>. Microsoft.CodeAnalysis.Testing 1.1.4 creates its
    /// <c>CompilationWithAnalyzers</c> in the virtual <c>AnalyzerTest.CreateCompilationWithAnalyzers</c>, which builds the
    /// options with <c>concurrentAnalysis: true</c> (CompilationWithAnalyzersExtensions.Create); these tests check that,
    /// and that no test class of the suite overrides it. The robustness harness (<see cref="RobustnessHarness"/>) asks
    /// for concurrent analysis itself.
    /// </summary>
    public class ConcurrentExecutionTests
    {
        [Fact]
        public async Task The_testing_library_runs_the_analyzer_with_concurrent_analysis()
        {
            // Many methods, so the concurrent driver has something to spread.
            Flavour f = RuleCode.Get("DllImport.ole32");
            var members = new StringBuilder();
            var expected = new System.Collections.Generic.List<DiagnosticResult>();
            for (int i = 0; i < 40; i++)
            {
                members.Append("    public void Begin_Work").Append(i).Append("() { if ({|COMIMP002:NativeMethods.CoImpersonateClient()|} < 0) return; Work(); }\n");
            }

            var test = new ProbeTest();
            foreach (string source in f.Sources(RuleCode.Class(f, members.ToString())))
            {
                test.TestState.Sources.Add(source);
            }

            await test.RunAsync(CancellationToken.None);
            Assert.NotEmpty(test.Created);
            Assert.All(test.Created, options => Assert.True(options.ConcurrentAnalysis, "a CompilationWithAnalyzers was created without concurrent analysis"));
        }

        [Fact]
        public void The_analyzer_enables_concurrent_execution()
        {
            var context = new RecordingContext();
            new ImpersonationAnalyzer().Initialize(context);
            Assert.True(context.ConcurrentExecutionEnabled);

            // Generated code is skipped (no Analyze flag); ReportDiagnostics only spares the driver a per-diagnostic
            // check of whether it lies in generated code (GeneratedCodeTests cover the behaviour).
            Assert.Equal(GeneratedCodeAnalysisFlags.ReportDiagnostics, context.GeneratedCode);
        }

        [Fact]
        public void No_test_of_the_suite_changes_how_the_testing_library_creates_the_analysis()
        {
            MethodInfo create = typeof(AnalyzerTest<DefaultVerifier>).GetMethod("CreateCompilationWithAnalyzers", BindingFlags.Instance | BindingFlags.NonPublic)!;
            Assert.NotNull(create);
            Assert.True(create.IsVirtual);
            Type[] overriding = typeof(ConcurrentExecutionTests).Assembly.GetTypes()
                .Where(t => t != typeof(ProbeTest))
                .Where(t => t.GetMethods(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
                    .Any(m => m.Name == create.Name && m.GetBaseDefinition().DeclaringType?.IsGenericType == true))
                .ToArray();
            Assert.Empty(overriding);
        }

        /// <summary>The suite's configuration, recording the options of each <c>CompilationWithAnalyzers</c> the library creates.</summary>
        private sealed class ProbeTest : CSharpAnalyzerTest<ImpersonationAnalyzer, DefaultVerifier>
        {
            public ProbeTest()
            {
                TestConfiguration.Apply(this);
            }

            public System.Collections.Concurrent.ConcurrentBag<CompilationWithAnalyzersOptions> Created { get; } =
                new System.Collections.Concurrent.ConcurrentBag<CompilationWithAnalyzersOptions>();

            protected override CompilationWithAnalyzers CreateCompilationWithAnalyzers(Compilation compilation, ImmutableArray<DiagnosticAnalyzer> analyzers, AnalyzerOptions options, CancellationToken cancellationToken)
            {
                CompilationWithAnalyzers created = base.CreateCompilationWithAnalyzers(compilation, analyzers, options, cancellationToken);
                Created.Add(created.AnalysisOptions);
                return created;
            }
        }

        /// <summary>Records what the analyzer asks of its host when it initialises.</summary>
        private sealed class RecordingContext : AnalysisContext
        {
            public bool ConcurrentExecutionEnabled { get; private set; }

            public GeneratedCodeAnalysisFlags? GeneratedCode { get; private set; }

            public override void EnableConcurrentExecution() => ConcurrentExecutionEnabled = true;

            public override void ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags analysisMode) => GeneratedCode = analysisMode;

            public override void RegisterCompilationStartAction(Action<CompilationStartAnalysisContext> action)
            {
            }

            public override void RegisterCodeBlockAction(Action<CodeBlockAnalysisContext> action) => throw Unexpected();

            public override void RegisterCodeBlockStartAction<TLanguageKindEnum>(Action<CodeBlockStartAnalysisContext<TLanguageKindEnum>> action) => throw Unexpected();

            public override void RegisterCompilationAction(Action<CompilationAnalysisContext> action) => throw Unexpected();

            public override void RegisterSemanticModelAction(Action<SemanticModelAnalysisContext> action) => throw Unexpected();

            public override void RegisterSymbolAction(Action<SymbolAnalysisContext> action, ImmutableArray<SymbolKind> symbolKinds) => throw Unexpected();

            public override void RegisterSyntaxNodeAction<TLanguageKindEnum>(Action<SyntaxNodeAnalysisContext> action, ImmutableArray<TLanguageKindEnum> syntaxKinds) => throw Unexpected();

            public override void RegisterSyntaxTreeAction(Action<SyntaxTreeAnalysisContext> action) => throw Unexpected();

            private static InvalidOperationException Unexpected() =>
                new InvalidOperationException("the analyzer registers only a compilation start action at initialisation");
        }
    }
}
