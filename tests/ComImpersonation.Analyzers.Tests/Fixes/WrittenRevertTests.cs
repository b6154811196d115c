using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ComImpersonation.Analyzers.Api;
using ComImpersonation.Analyzers.Tests.Infrastructure;
using ComImpersonation.Analyzers.Tests.Robustness;
using ComImpersonation.CodeFixes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ComImpersonation.Analyzers.Tests.Fixes
{
    /// <summary>
    /// Issue 16: the revert a fix writes raises no other warning. A bare <c>CoRevertToSelf();</c> is CA1806 (a result
    /// ignored); the fixes act on a revert's result instead (<c>if (…) Environment.FailFast(…)</c>), in every flavour
    /// and family. Checked with the NetAnalyzers' own CA1806 on the code the fixes produce, and, for the results
    /// CA1806 does not look at (a <c>bool</c>, an HRESULT struct), by asking that every written revert's result is
    /// read.
    /// </summary>
    public class WrittenRevertTests
    {
        private const string Ca1806 = "CA1806";

        public static TheoryData<string> ComFlavours => RuleCode.AllNames;

        public static TheoryData<string> TokenFlavourNames => TokenFlavours.Names;

        [Theory]
        [MemberData(nameof(ComFlavours))]
        public Task Revert_in_finally_writes_a_revert_whose_result_is_acted_on(string name)
        {
            Flavour f = RuleCode.Get(name);
            return VerifyAsync(
                "Revert in finally",
                f.Declarations,
                RuleCode.Class(f, $$"""
                    public void Begin_Work()
                    {
                        {{FixCode.Checked(f, f.Impersonate)}}
                        Work();
                    }
                """));
        }

        [Theory]
        [MemberData(nameof(ComFlavours))]
        public Task Revert_before_Signal_writes_a_revert_whose_result_is_acted_on(string name)
        {
            Flavour f = RuleCode.Get(name);
            return VerifyAsync(
                "Revert before Signal",
                f.Declarations,
                RuleCode.Class(f, $$"""
                    public void Begin_Work()
                    {
                        {{FixCode.Checked(f, f.Impersonate)}}
                        try
                        {
                            if (_flag)
                            {
                                {{f.SignalStatement}}
                            }
                        }
                        finally
                        {
                            {{FixCode.WrittenRevert(f, FixCode.Body + "    ")}}
                        }
                    }
                """));
        }

        [Theory]
        [MemberData(nameof(TokenFlavourNames))]
        public Task Other_families_revert_in_finally_acting_on_the_result(string name)
        {
            Flavour f = TokenFlavours.Get(name);
            return VerifyAsync(
                "Revert in finally",
                f.Declarations,
                TokenCode.Class(f, $$"""
                    public void Serve()
                    {
                        {{TokenCode.Checked(f, f.Impersonate)}}
                        Work();
                    }
                """));
        }

        [Theory]
        [InlineData("if (Secur32.ImpersonateSecurityContext(ref _context) != 0) return;")]
        [InlineData("if (Nt.NtSetInformationThread(Nt.GetCurrentThread(), 5, ref _token, IntPtr.Size) < 0) return;")]
        public Task SSPI_and_NT_revert_in_finally_acting_on_the_result(string impersonation)
        {
            const string Declarations = """
                using System;
                using System.Runtime.InteropServices;

                internal struct SecHandle { public IntPtr Lower; public IntPtr Upper; }

                internal static class Secur32
                {
                    [DllImport("secur32.dll")] internal static extern int ImpersonateSecurityContext(ref SecHandle context);
                    [DllImport("secur32.dll")] internal static extern int RevertSecurityContext(ref SecHandle context);
                }

                internal static class Nt
                {
                    [DllImport("ntdll.dll")] internal static extern int NtSetInformationThread(IntPtr thread, int informationClass, ref IntPtr token, int length);
                    [DllImport("kernel32.dll")] internal static extern IntPtr GetCurrentThread();
                }
                """;
            return VerifyAsync(
                "Revert in finally",
                new[] { Declarations },
                $$"""
                using System;

                class Server
                {
                    private SecHandle _context;
                    private IntPtr _token;

                    private static void Work() { }

                    public void Serve()
                    {
                        {{impersonation}}
                        Work();
                    }
                }
                """);
        }

        [Fact]
        public async Task CA1806_reports_a_bare_revert_whose_result_is_ignored()
        {
            // The control: the analyzer the tests above run does report the bare call they must not write.
            Flavour f = RuleCode.Get("DllImport.ole32");
            Project project = Project(f.Declarations, RuleCode.Class(f, $$"""
                    public void Begin_Work()
                    {
                        {{FixCode.Checked(f, f.Impersonate)}}
                        try { Work(); } finally { {{f.RevertStatement}} }
                    }
                """));
            ImmutableArray<Diagnostic> diagnostics = await Ca1806DiagnosticsAsync(project);
            Assert.Contains(diagnostics, d => d.Id == Ca1806 && d.GetMessage(System.Globalization.CultureInfo.InvariantCulture).Contains("CoRevertToSelf", StringComparison.Ordinal));
        }

        /// <summary>
        /// Applies the fix titled <paramref name="title"/> to the one diagnostic it fixes in <paramref name="source"/>,
        /// then: the code compiles, no COMIMP diagnostic is left, CA1806 reports nothing, and every revert that returns
        /// a result has its result read.
        /// </summary>
        private static async Task VerifyAsync(string title, string[] declarations, string source)
        {
            Project project = Project(declarations, source);
            Document document = project.Documents.Single(d => d.Name == "Test.cs");
            AnalysisOutcome before = await RobustnessHarness.AnalyzeAsync(project, document.Id);
            Assert.Null(before.Failure);
            Diagnostic diagnostic = Assert.Single(before.Diagnostics, d => d.Id is "COMIMP002" or "COMIMP003");
            List<(string Title, Solution Fixed)> fixes = await RobustnessHarness.ApplyEveryFixAsync(document, diagnostic);
            Solution solution = fixes.Single(fix => fix.Title == title).Fixed;
            Project fixedProject = solution.GetProject(project.Id)!;
            Document fixedDocument = fixedProject.GetDocument(document.Id)!;
            string text = (await fixedDocument.GetTextAsync()).ToString();

            Compilation compilation = (await fixedProject.GetCompilationAsync())!;
            Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
            AnalysisOutcome after = await RobustnessHarness.AnalyzeAsync(fixedProject, document.Id);
            Assert.Null(after.Failure);
            Assert.True(after.Diagnostics.IsEmpty, "the fixed code still has " + string.Join(", ", after.Diagnostics) + ":\n" + text);

            ImmutableArray<Diagnostic> ca1806 = await Ca1806DiagnosticsAsync(fixedProject);
            Assert.True(ca1806.IsEmpty, "the fixed code has " + string.Join(", ", ca1806) + ":\n" + text);

            int unread = await UnreadRevertResultsAsync(fixedDocument);
            Assert.True(unread == 0, unread + " revert results are dropped in the fixed code:\n" + text);
        }

        /// <summary>CA1806, raised to a warning, on the project's test file.</summary>
        private static async Task<ImmutableArray<Diagnostic>> Ca1806DiagnosticsAsync(Project project)
        {
            var options = (CSharpCompilationOptions)project.CompilationOptions!;
            project = project.WithCompilationOptions(options.WithSpecificDiagnosticOptions(
                options.SpecificDiagnosticOptions.SetItem(Ca1806, ReportDiagnostic.Warn)));
            Compilation compilation = (await project.GetCompilationAsync())!;
            ImmutableArray<Diagnostic> diagnostics = await compilation
                .WithAnalyzers(ImmutableArray.Create(NetAnalyzers.Get(Ca1806)), project.AnalyzerOptions)
                .GetAnalyzerDiagnosticsAsync(CancellationToken.None);
            return diagnostics.Where(d => d.Id == Ca1806 && d.Location.SourceTree?.FilePath == "Test.cs").ToImmutableArray();
        }

        /// <summary>How many calls the analyzer's own recognition takes for a revert return a result that nothing reads.</summary>
        private static async Task<int> UnreadRevertResultsAsync(Document document)
        {
            FixSemantics semantics = (await FixSemantics.CreateAsync(document, CancellationToken.None))!;
            SyntaxNode root = (await document.GetSyntaxRootAsync())!;
            int unread = 0;
            foreach (InvocationExpressionSyntax call in root.DescendantNodes().OfType<InvocationExpressionSyntax>())
            {
                if (semantics.OperationOf(call, CancellationToken.None) == ApiOperation.Revert
                    && semantics.Model.GetOperation(call) is IInvocationOperation { TargetMethod.ReturnsVoid: false } operation
                    && OperationValues.IsDiscarded(operation))
                {
                    unread++;
                }
            }

            return unread;
        }

        private static Project Project(string[] declarations, string source)
        {
            var files = new List<(string, string)>();
            for (int i = 0; i < declarations.Length; i++)
            {
                files.Add(("Declarations" + i + ".cs", declarations[i]));
            }

            files.Add(("Test.cs", source));
            return RobustnessHarness.CreateProject("WrittenRevert", files);
        }
    }
}
