using System;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using ComImpersonation.Analyzers.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ComImpersonation.Analyzers.Tests.Robustness
{
    /// <summary>
    /// Cancellation is honoured promptly (issue 8, SPEC §6): by the analysis of a huge method, cancelled while it runs,
    /// and by every fix provider and code action given a cancelled token.
    /// </summary>
    public class CancellationTests
    {
        /// <summary>How long after <c>Cancel()</c> the analysis may still run: generous, it checks at every block and step.</summary>
        private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(2);

        [Fact]
        public async Task Analysis_of_a_huge_method_stops_promptly_when_cancelled()
        {
            Flavour f = RuleCode.Get("DllImport.ole32");
            var body = new StringBuilder("public void Begin_Work()\n{\n");
            for (int i = 0; i < 2000; i++)
            {
                body.Append("    int hr").Append(i).Append(" = NativeMethods.CoImpersonateClient(); if (hr").Append(i)
                    .Append(" < 0) return; try { Work(); } finally { NativeMethods.CoRevertToSelf(); }\n");
            }

            body.Append("    NativeMethods.CoImpersonateClient();\n}\n");
            Project project = RobustnessHarness.CreateProject(
                "Huge",
                f.Declarations.Select((text, i) => ("Declarations" + i + ".cs", text)).Append(("CallObject.cs", RuleCode.Class(f, body.ToString()))));
            Compilation compilation = (await project.GetCompilationAsync())!;

            // How long it takes uncancelled (binding, graphs and the analysis: a fresh CompilationWithAnalyzers each time).
            var clock = Stopwatch.StartNew();
            ImmutableArray<Diagnostic> all = await WithAnalyzers(compilation).GetAnalyzerDiagnosticsAsync(CancellationToken.None);
            TimeSpan full = clock.Elapsed;
            Assert.Contains(all, d => d.Id == "COMIMP004");

            // Cancelled at a quarter, half and three quarters of that: each run ends within Prompt of the cancellation,
            // by OperationCanceledException (or, if it happened to finish first, normally).
            foreach (double fraction in new[] { 0.25, 0.5, 0.75 })
            {
                using var cancellation = new CancellationTokenSource();
                Task<ImmutableArray<Diagnostic>> run = Task.Run(() => WithAnalyzers(compilation).GetAnalyzerDiagnosticsAsync(cancellation.Token));
                await Task.Delay(TimeSpan.FromTicks((long)(full.Ticks * fraction)));
                cancellation.Cancel();
                var afterCancel = Stopwatch.StartNew();
                Task finished = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(30)));
                Assert.True(finished == run, "the analysis did not stop within 30 s of the cancellation");
                Assert.True(afterCancel.Elapsed < Prompt, $"cancelled at {fraction:P0} of {full.TotalSeconds:F1} s, it ran on for {afterCancel.Elapsed.TotalSeconds:F1} s");
                if (!run.IsCompletedSuccessfully)
                {
                    await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
                }
            }
        }

        [Fact]
        public async Task Every_fix_provider_and_code_action_throws_when_cancelled()
        {
            using var cancelled = new CancellationTokenSource();
            cancelled.Cancel();
            int providersAsked = 0;
            int actionsAsked = 0;
            foreach (MutationTarget target in RobustnessCorpus.Flavours.Concat(RobustnessCorpus.Sample))
            {
                AnalysisOutcome outcome = await RobustnessHarness.AnalyzeAsync(target.Project, target.Document);
                Assert.Null(outcome.Failure);
                Document document = target.Project.GetDocument(target.Document)!;
                foreach (Diagnostic diagnostic in outcome.Diagnostics)
                {
                    foreach (CodeFixProvider provider in RobustnessHarness.FixProviders.Where(p => p.FixableDiagnosticIds.Contains(diagnostic.Id)))
                    {
                        providersAsked++;
                        await AssertCancelled(() => FixTestSupport.ActionsAsync(provider, document, diagnostic, cancelled.Token), provider, diagnostic, "RegisterCodeFixesAsync");

                        bool offered = false;
                        foreach (CodeAction action in await FixTestSupport.ActionsAsync(provider, document, diagnostic, CancellationToken.None))
                        {
                            actionsAsked++;
                            offered = true;
                            await AssertCancelled(() => action.GetOperationsAsync(cancelled.Token), provider, diagnostic, "GetOperationsAsync");
                        }

                        if (offered)
                        {
                            await AssertCancelled(() => FixTestSupport.FixAllInDocumentAsync(provider, document, outcome.Diagnostics, cancelled.Token), provider, diagnostic, "Fix All");
                        }
                    }
                }
            }

            // Every flavour offers every fix (RobustnessCorpus.RuleMembers): the loops above did ask.
            Assert.True(providersAsked > 100 && actionsAsked > 100, $"asked {providersAsked} providers, {actionsAsked} actions");
        }

        private static async Task AssertCancelled(Func<Task> work, CodeFixProvider provider, Diagnostic diagnostic, string what)
        {
            Exception? thrown = await Record.ExceptionAsync(work);
            Assert.True(
                thrown is OperationCanceledException,
                what + " of " + provider.GetType().Name + " on " + diagnostic + " with a cancelled token: " + (thrown?.ToString() ?? "completed"));
        }

        private static CompilationWithAnalyzers WithAnalyzers(Compilation compilation) =>
            compilation.WithAnalyzers(
                RobustnessHarness.Analyzers,
                new CompilationWithAnalyzersOptions(
                    new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
                    onAnalyzerException: null,
                    concurrentAnalysis: true,
                    logAnalyzerExecutionTime: false,
                    reportSuppressedDiagnostics: false));
    }
}
