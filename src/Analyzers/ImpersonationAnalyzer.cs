using System.Collections.Immutable;
using ComImpersonation.Analyzers.Analysis;
using ComImpersonation.Analyzers.Api;
using ComImpersonation.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;

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
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                ApiModel? api = ApiModel.TryCreate(start.Compilation, start.CancellationToken);
                if (api is null)
                {
                    return; // nothing in this compilation can impersonate or signal
                }

                start.RegisterCodeBlockAction(block => AnalyzeCodeBlock(block, api));
            });
        }

        private static void AnalyzeCodeBlock(CodeBlockAnalysisContext context, ApiModel api)
        {
            if (context.OwningSymbol.Kind != SymbolKind.Method || !MentionsCandidate(context.CodeBlock, api))
            {
                return;
            }

            ControlFlowGraph? graph = ControlFlowGraph.Create(context.CodeBlock, context.SemanticModel, context.CancellationToken);
            if (graph is null)
            {
                return;
            }

            var session = new BodySession(graph, context.OwningSymbol, api, context.CancellationToken);
            var sink = new DiagnosticSink(context.ReportDiagnostic);
            foreach ((BodySession.Body body, BodyModel model) in session.Bodies())
            {
                BodyFindings? findings = BodyFindings.Analyze(body, model, context.CancellationToken);
                if (findings is null)
                {
                    continue;
                }

                ImpersonationAfterSignalRule.Report(findings, sink);
                ImpersonationNotRevertedRule.Report(findings, sink);
                ImpersonationActiveAtSignalRule.Report(findings, sink);
            }
        }

        /// <summary>The syntactic pre-check: does the block call anything by a name the API model could recognise?</summary>
        private static bool MentionsCandidate(SyntaxNode codeBlock, ApiModel api)
        {
            foreach (SyntaxNode node in codeBlock.DescendantNodes())
            {
                if (node is InvocationExpressionSyntax invocation
                    && ApiModel.InvokedName(invocation) is { } name
                    && api.CandidateNames.Contains(name))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
