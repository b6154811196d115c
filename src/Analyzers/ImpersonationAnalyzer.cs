using System.Collections.Immutable;
using ComImpersonation.Analyzers.Analysis;
using ComImpersonation.Analyzers.Api;
using ComImpersonation.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ComImpersonation.Analyzers
{
    /// <summary>
    /// The entry point of every COMIMP rule. Cheap gate at compilation start (<see cref="ApiModel.TryCreate"/>),
    /// then for each member a syntactic pre-check, and only then an operation tree, a control-flow graph and the
    /// flow analysis; the rules turn its findings into diagnostics.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class ImpersonationAnalyzer : DiagnosticAnalyzer
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => Descriptors.All;

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            // Generated code is never analysed (no Analyze flag): the driver skips its code blocks. Everything this
            // analyzer reports lies in the code block it analysed, so it needs no second check per diagnostic
            // (ReportDiagnostics), which would cost a token walk of each tree that gets a diagnostic.
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.ReportDiagnostics);
            context.RegisterCompilationStartAction(start =>
            {
                ApiModel? api = ApiModel.TryCreate(start.Compilation, start.Options.AnalyzerConfigOptionsProvider, start.CancellationToken);
                if (api is null)
                {
                    return; // nothing in this compilation can impersonate or signal
                }

                var summaries = new MethodSummaries(start.Compilation, api);
                start.RegisterCodeBlockAction(block => AnalyzeCodeBlock(block, api, summaries));
            });
        }

        private static void AnalyzeCodeBlock(CodeBlockAnalysisContext context, ApiModel api, MethodSummaries summaries)
        {
            if (context.OwningSymbol.Kind != SymbolKind.Method)
            {
                return;
            }

            ApiOptions options = ApiOptions.Read(context.Options.AnalyzerConfigOptionsProvider.GetOptions(context.CodeBlock.SyntaxTree));
            if (!PreCheck.MayMatter(context.CodeBlock, api, options, summaries, context.CancellationToken))
            {
                return;
            }

            // Code that does not compile has no behaviour to reason about (it is being typed, or a call in it does not
            // bind): a block with a syntax error, or with an operation that does not bind, gets no diagnostic rather than
            // a guess. The compiler's own errors already point at it.
            if (HasSyntaxErrors(context.CodeBlock))
            {
                return;
            }

            ControlFlowGraph? graph = ControlFlowGraph.Create(context.CodeBlock, context.SemanticModel, context.CancellationToken);
            if (graph is null || ContainsInvalidOperation(graph.OriginalOperation))
            {
                return;
            }

            var session = new BodySession(graph, context.SemanticModel, context.OwningSymbol, api, options, summaries, options.InterproceduralDepth, context.CancellationToken);
            var sink = new DiagnosticSink(context.ReportDiagnostic);
            foreach ((BodySession.Body body, BodyModel model) in session.Bodies())
            {
                UncheckedResultRule.Report(model, context.CodeBlock, context.SemanticModel, sink, context.CancellationToken);
                ImpersonationInFinishRule.Report(context.OwningSymbol, model, sink);
                ImpersonationOffThreadRule.ReportDroppedRuns(model, sink);

                BodyFindings? findings = BodyFindings.Analyze(body, model, context.CancellationToken);
                if (findings is null)
                {
                    continue;
                }

                ImpersonationAfterSignalRule.Report(findings, sink);
                ImpersonationNotRevertedRule.Report(findings, sink);
                ImpersonationActiveAtSignalRule.Report(findings, sink);
                ImpersonationOffThreadRule.Report(findings, session.HandoffOf(body), sink);
                RevertNotInFinallyRule.Report(findings, sink);
            }

            foreach (Handoff handoff in session.MethodGroupHandoffs())
            {
                if (FirstImpersonationIn(handoff.Method!, context.SemanticModel, session) is { } site)
                {
                    ImpersonationOffThreadRule.ReportMethodGroup(handoff, site, sink);
                }
            }
        }

        private static bool HasSyntaxErrors(SyntaxNode codeBlock)
        {
            if (!codeBlock.ContainsDiagnostics)
            {
                return false;
            }

            foreach (Diagnostic diagnostic in codeBlock.GetDiagnostics())
            {
                if (diagnostic.Severity == DiagnosticSeverity.Error)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>A call, name or expression that does not bind (an unknown method, a misspelt revert, a missing operand).</summary>
        private static bool ContainsInvalidOperation(IOperation root)
        {
            foreach (IOperation operation in root.Descendants())
            {
                if (operation.Kind == OperationKind.Invalid)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The first impersonation of a call context written in the body of an ordinary method of this compilation.</summary>
        private static ImpersonationSite? FirstImpersonationIn(IMethodSymbol method, SemanticModel semanticModel, BodySession session)
        {
            foreach (SyntaxReference reference in method.DeclaringSyntaxReferences)
            {
                if (reference.SyntaxTree != semanticModel.SyntaxTree)
                {
                    semanticModel = session.Summaries.SemanticModelOf(reference.SyntaxTree); // a partial type's other file
                }

                foreach (SyntaxNode node in reference.GetSyntax().DescendantNodes())
                {
                    if (node is InvocationExpressionSyntax invocation
                        && semanticModel.GetOperation(invocation) is IInvocationOperation operation
                        && session.Classify(operation) is { Operation: ApiOperation.Impersonate, NeedsDispatchThread: true } call)
                    {
                        return new ImpersonationSite(0, operation, call);
                    }
                }
            }

            return null;
        }
    }
}
