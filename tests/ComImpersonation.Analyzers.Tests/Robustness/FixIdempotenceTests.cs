using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;

namespace ComImpersonation.Analyzers.Tests.Robustness
{
    /// <summary>
    /// Fixes are idempotent, and Fix All gives the same result as applying the fixes one by one (issue 8), on the sample
    /// and on the rule inputs of every flavour (<see cref="RobustnessCorpus"/>), for every provider.
    /// </summary>
    /// <remarks>
    /// The fix tests (tests/…/Fixes) check the same through the testing library: in Microsoft.CodeAnalysis.Testing 1.1.4,
    /// <c>CodeFixTest.RunImplAsync</c> builds the batch state with <c>BatchFixedState.WithInheritedValuesApplied(FixedState)</c>,
    /// so a test that sets only <c>FixedState</c> (as <c>VerifyFix</c> does) requires Fix All in document, project and solution
    /// scope to produce exactly the code of the iterative one-fix-at-a-time run, and <c>CodeFixTestBehaviors</c> is
    /// <c>None</c>, so none of those checks is skipped. <see cref="The_testing_library_compares_fix_all_with_one_by_one"/>
    /// proves that the check is on. This class covers inputs with many diagnostics of each kind at once.
    /// </remarks>
    public class FixIdempotenceTests
    {
        public static TheoryData<string> Targets
        {
            get
            {
                var data = new TheoryData<string>();
                foreach (MutationTarget target in RobustnessCorpus.Sample.Concat(RobustnessCorpus.Flavours))
                {
                    data.Add(target.Name);
                }

                return data;
            }
        }

        [Theory]
        [MemberData(nameof(Targets))]
        public async Task Fix_all_equals_one_by_one_and_fixing_fixed_code_changes_nothing(string name)
        {
            MutationTarget target = RobustnessCorpus.All.Single(t => t.Name == name);
            Document original = target.Project.GetDocument(target.Document)!;
            ImmutableArray<Diagnostic> diagnostics = await DiagnosticsOf(original);
            foreach (CodeFixProvider provider in RobustnessHarness.FixProviders)
            {
                string providerName = provider.GetType().Name;
                if (!diagnostics.Any(d => provider.FixableDiagnosticIds.Contains(d.Id)))
                {
                    continue;
                }

                // One by one: fix the first diagnostic that has a fix, analyse again, until no fix is offered. Each fix
                // removes a diagnostic it fixes and adds none of its kind.
                Document current = original;
                int limit = diagnostics.Length + 1;
                while (true)
                {
                    ImmutableArray<Diagnostic> now = await DiagnosticsOf(current);
                    (Diagnostic Diagnostic, CodeAction Action)? next = await FirstFixAsync(provider, current, now);
                    if (next is null)
                    {
                        break;
                    }

                    Assert.True(--limit >= 0, providerName + " keeps offering fixes on " + name);
                    (Diagnostic fixedDiagnostic, CodeAction action) = next.Value;
                    Document fixedDocument = (await RobustnessHarness.ApplyAsync(action, CancellationToken.None)).GetDocument(current.Id)!;
                    ImmutableArray<Diagnostic> after = await DiagnosticsOf(fixedDocument);
                    Assert.True(
                        after.Count(d => d.Id == fixedDiagnostic.Id) < now.Count(d => d.Id == fixedDiagnostic.Id),
                        providerName + " on " + fixedDiagnostic + " in " + name + " did not remove it:\n" + await TextOf(fixedDocument));
                    current = fixedDocument;
                }

                string oneByOne = await TextOf(current);

                // Fixing the fixed code again changes nothing: no fix is offered (the loop's end), and Fix All does nothing.
                Solution? again = await FixTestSupport.FixAllInDocumentAsync(provider, current, await DiagnosticsOf(current), CancellationToken.None);
                Assert.True(
                    again is null || await TextOf(again.GetDocument(current.Id)!) == oneByOne,
                    providerName + ": Fix All changed code that one-by-one fixing had finished, in " + name);

                // Fix All in document scope, from the original, gives the same text.
                Solution? all = await FixTestSupport.FixAllInDocumentAsync(provider, original, diagnostics, CancellationToken.None);
                string fixAll = all is null ? await TextOf(original) : await TextOf(all.GetDocument(original.Id)!);
                Assert.True(
                    fixAll == oneByOne,
                    providerName + ": Fix All differs from fixing one by one in " + name + "\n--- one by one:\n" + oneByOne + "\n--- Fix All:\n" + fixAll);
            }
        }

        [Fact]
        public async Task The_testing_library_compares_fix_all_with_one_by_one()
        {
            // A provider whose Fix All does something else than its single fixes: VerifyFix's test must reject it.
            Infrastructure.Flavour f = Infrastructure.RuleCode.Get("DllImport.ole32");
            string source = Infrastructure.RuleCode.Class(f, """
                    public void Begin_Work()
                    {
                        {|COMIMP004:NativeMethods.CoImpersonateClient()|};
                        try { Work(); } finally { NativeMethods.CoRevertToSelf(); }
                    }
                """);
            string fixedSource = Infrastructure.RuleCode.Class(f, """
                    public void Begin_Work()
                    {
                        Marshal.ThrowExceptionForHR(NativeMethods.CoImpersonateClient());
                        try { Work(); } finally { NativeMethods.CoRevertToSelf(); }
                    }
                """);

            await Infrastructure.VerifyFix.RunAsync<ComImpersonation.CodeFixes.Fixes.ThrowOnFailureCodeFixProvider>(f.Declarations, source, fixedSource);
            Exception? failure = await Record.ExceptionAsync(() => Infrastructure.VerifyFix.RunAsync<FixAllDiffers>(f.Declarations, source, fixedSource));
            Assert.NotNull(failure);
            Assert.Contains("Fix all", failure!.Message, StringComparison.OrdinalIgnoreCase);
        }

        private static async Task<(Diagnostic, CodeAction)?> FirstFixAsync(CodeFixProvider provider, Document document, ImmutableArray<Diagnostic> diagnostics)
        {
            foreach (Diagnostic diagnostic in diagnostics.Where(d => provider.FixableDiagnosticIds.Contains(d.Id)).OrderBy(d => d.Location.SourceSpan.Start))
            {
                if ((await FixTestSupport.ActionsAsync(provider, document, diagnostic, CancellationToken.None)).FirstOrDefault() is { } action)
                {
                    return (diagnostic, action);
                }
            }

            return null;
        }

        private static async Task<ImmutableArray<Diagnostic>> DiagnosticsOf(Document document)
        {
            AnalysisOutcome outcome = await RobustnessHarness.AnalyzeAsync(document.Project, document.Id);
            Assert.True(outcome.Failure is null, outcome.Failure);
            return outcome.Diagnostics;
        }

        private static async Task<string> TextOf(Document document) => (await document.GetTextAsync()).ToString();

        /// <summary>"Throw on failure" one at a time, but a Fix All that does nothing.</summary>
        private sealed class FixAllDiffers : CodeFixProvider
        {
            private readonly ComImpersonation.CodeFixes.Fixes.ThrowOnFailureCodeFixProvider _inner = new ComImpersonation.CodeFixes.Fixes.ThrowOnFailureCodeFixProvider();

            public override ImmutableArray<string> FixableDiagnosticIds => _inner.FixableDiagnosticIds;

            public override Task RegisterCodeFixesAsync(CodeFixContext context) => _inner.RegisterCodeFixesAsync(context);

            public override FixAllProvider GetFixAllProvider() =>
                FixAllProvider.Create((context, document, diagnostics) => Task.FromResult<Document?>(document));
        }
    }
}
