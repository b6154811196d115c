using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using ComImpersonation.Analyzers.Analysis;
using ComImpersonation.Analyzers.Api;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ComImpersonation.CodeFixes
{
    /// <summary>
    /// What a fix needs to know about the calls in one document, answered by the analyzer's own API model, options
    /// and method summaries: a fix recognises exactly the calls the analyzer recognised, and never a call by its
    /// name alone.
    /// </summary>
    internal sealed class FixSemantics
    {
        // One API model and one set of summaries per compilation, as the analyzer has: a Fix All over many
        // documents of one project does not scan the compilation again for each.
        private static readonly ConditionalWeakTable<Compilation, CompilationModels> s_models =
            new ConditionalWeakTable<Compilation, CompilationModels>();

        private readonly MethodSummaries _summaries;

        private FixSemantics(SemanticModel model, ApiModel api, MethodSummaries summaries, ApiOptions options)
        {
            Model = model;
            Api = api;
            _summaries = summaries;
            Options = options;
        }

        public SemanticModel Model { get; }

        public ApiModel Api { get; }

        public ApiOptions Options { get; }

        /// <summary>Null when the document's compilation has nothing the analyzer recognises.</summary>
        public static async Task<FixSemantics?> CreateAsync(Document document, CancellationToken cancellationToken)
        {
            SemanticModel? model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            if (model is null)
            {
                return null;
            }

            AnalyzerConfigOptionsProvider provider = document.Project.AnalyzerOptions.AnalyzerConfigOptionsProvider;
            CompilationModels models = s_models.GetValue(model.Compilation, compilation => CompilationModels.Create(compilation, provider));
            if (models.Api is null || models.Summaries is null)
            {
                return null;
            }

            ApiOptions options = ApiOptions.Read(provider.GetOptions(model.SyntaxTree));
            return new FixSemantics(model, models.Api, models.Summaries, options);
        }

        /// <summary>What a call does to the thread or the call, directly (the table, its arguments, the options) or through a summary.</summary>
        public ApiOperation OperationOf(InvocationExpressionSyntax invocation, CancellationToken cancellationToken)
        {
            if (Model.GetOperation(invocation, cancellationToken) is not IInvocationOperation operation)
            {
                return ApiOperation.None;
            }

            ApiCall call = Api.Classify(operation, Options, Model, cancellationToken);
            return call.IsRecognized ? call.Operation : SummaryOperationOf(operation.TargetMethod, cancellationToken);
        }

        public ApiOperation OperationOf(IMethodSymbol method, CancellationToken cancellationToken)
        {
            ApiCall call = Api.Classify(method, Options);
            return call.IsRecognized ? call.Operation : SummaryOperationOf(method, cancellationToken);
        }

        /// <summary>
        /// The impersonation is a recognised call whose row's end succeeds and changes nothing on a thread that does
        /// not impersonate (<see cref="ApiForm.EndHarmlessWithoutImpersonation"/>); never a wrapper's.
        /// </summary>
        public bool EndIsHarmlessWithoutImpersonation(InvocationExpressionSyntax impersonation, CancellationToken cancellationToken) =>
            Model.GetOperation(impersonation, cancellationToken) is IInvocationOperation operation
            && Api.Classify(operation, Options, Model, cancellationToken) is { Operation: ApiOperation.Impersonate, Form.EndHarmlessWithoutImpersonation: true };

        /// <summary>How an impersonation's result reports failure: the recognised call's, or its wrapper's.</summary>
        public ResultShape ResultShapeOf(InvocationExpressionSyntax invocation, CancellationToken cancellationToken) =>
            ResultOf(invocation, cancellationToken).Shape;

        /// <summary>
        /// How a call's result reports failure and the check a fix writes on it: the recognised call's (its row's), or
        /// for a wrapper the one its result's shape implies.
        /// </summary>
        public (ResultShape Shape, FailureCheck Check) ResultOf(InvocationExpressionSyntax invocation, CancellationToken cancellationToken)
        {
            if (Model.GetOperation(invocation, cancellationToken) is not IInvocationOperation operation)
            {
                return (ResultShape.Other, FailureCheck.None);
            }

            ApiCall call = Api.Classify(operation, Options, Model, cancellationToken);
            if (!call.IsRecognized)
            {
                MethodSummary summary = _summaries.Get(operation.TargetMethod, Options.InterproceduralDepth, Options, cancellationToken);
                call = summary.Has(SummaryEffects.Impersonates)
                    ? new ApiCall(ApiOperation.Impersonate, summary.Shape, operation.TargetMethod.Name, summary.Family, summary.Kind)
                    : ApiCall.None;
            }

            return call.IsRecognized ? (call.Shape, ResultCheckWriter.CheckOf(call)) : (ResultShape.Other, FailureCheck.None);
        }

        private ApiOperation SummaryOperationOf(IMethodSymbol method, CancellationToken cancellationToken)
        {
            MethodSummary summary = _summaries.Get(method, Options.InterproceduralDepth, Options, cancellationToken);
            if (summary.Has(SummaryEffects.Impersonates))
            {
                return ApiOperation.Impersonate;
            }

            if (summary.Has(SummaryEffects.Reverts))
            {
                return ApiOperation.Revert;
            }

            return summary.Has(SummaryEffects.MaySignal) ? ApiOperation.Signal : ApiOperation.None;
        }

        /// <summary>
        /// True when <paramref name="impersonation"/> impersonates the COM call context, which <c>Signal</c> completes
        /// (SPEC §2): only such an impersonation ends at a signal. A token, pipe, RPC, SSPI or NT impersonation goes on
        /// across one.
        /// </summary>
        public bool EndsAtSignal(InvocationExpressionSyntax impersonation, CancellationToken cancellationToken)
        {
            if (Model.GetOperation(impersonation, cancellationToken) is not IInvocationOperation operation)
            {
                return true;
            }

            ApiCall call = Api.Classify(operation, Options, Model, cancellationToken);
            if (call.IsRecognized)
            {
                return call.IsComCallContext;
            }

            MethodSummary summary = SummaryOf(operation.TargetMethod, cancellationToken);
            return !summary.Has(SummaryEffects.Impersonates) || summary.Kind == ImpersonationKind.ComCallContext;
        }

        /// <summary>A call that impersonates and reverts inside (SPEC §2 client-identity call).</summary>
        public bool IsClientIdentityCall(InvocationExpressionSyntax invocation, CancellationToken cancellationToken)
        {
            return Model.GetSymbolInfo(invocation, cancellationToken).Symbol is IMethodSymbol method
                && !Api.Classify(method, Options).IsRecognized
                && _summaries.Get(method, Options.InterproceduralDepth, Options, cancellationToken).Has(SummaryEffects.ClientIdentity);
        }

        /// <summary>
        /// The statements that end <paramref name="impersonation"/> the way its row says, in its own flavour, bound as
        /// if written at <paramref name="position"/> (see <see cref="ImpersonationEnds"/>); null where no end can be
        /// written there.
        /// </summary>
        public IReadOnlyList<StatementSyntax>? EndFor(InvocationExpressionSyntax impersonation, int position, CancellationToken cancellationToken) =>
            ImpersonationEnds.Write(impersonation, position, this, cancellationToken);

        /// <summary>What the method summaries know of <paramref name="method"/> (a wrapper, a revert wrapper, a signal wrapper).</summary>
        public MethodSummary SummaryOf(IMethodSymbol method, CancellationToken cancellationToken) =>
            _summaries.Get(method, Options.InterproceduralDepth, Options, cancellationToken);

        private sealed class CompilationModels
        {
            private CompilationModels(ApiModel? api, MethodSummaries? summaries)
            {
                Api = api;
                Summaries = summaries;
            }

            public ApiModel? Api { get; }

            public MethodSummaries? Summaries { get; }

            public static CompilationModels Create(Compilation compilation, AnalyzerConfigOptionsProvider provider)
            {
                // Cached beyond one fix, so not tied to one fix's cancellation.
                ApiModel? api = ApiModel.TryCreate(compilation, provider, CancellationToken.None);
                return new CompilationModels(api, api is null ? null : new MethodSummaries(compilation, api));
            }
        }
    }
}
