using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using ComImpersonation.Analyzers.Analysis;
using ComImpersonation.Analyzers.Api;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
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

        /// <summary>A call that impersonates and reverts inside (SPEC §2 client-identity call).</summary>
        public bool IsClientIdentityCall(InvocationExpressionSyntax invocation, CancellationToken cancellationToken)
        {
            return Model.GetSymbolInfo(invocation, cancellationToken).Symbol is IMethodSymbol method
                && !Api.Classify(method, Options).IsRecognized
                && _summaries.Get(method, Options.InterproceduralDepth, Options, cancellationToken).Has(SummaryEffects.ClientIdentity);
        }

        /// <summary>
        /// The revert that matches <paramref name="impersonation"/> in its own flavour, as an expression that binds
        /// at <paramref name="position"/>: <c>security.ImpersonateClient()</c> gives <c>security.RevertToSelf()</c>
        /// on the same receiver, <c>NativeMethods.Impersonate()</c> (entry point <c>CoImpersonateClient</c>) gives
        /// the same class's P/Invoke of <c>CoRevertToSelf</c>, whatever it is named. Null when there is no such
        /// revert, the receiver is not a plain variable (evaluating it again could have effects), or the revert
        /// would bind to something else at <paramref name="position"/>.
        /// </summary>
        public InvocationExpressionSyntax? RevertFor(InvocationExpressionSyntax impersonation, int position, CancellationToken cancellationToken)
        {
            if (Model.GetOperation(impersonation, cancellationToken) is not IInvocationOperation operation)
            {
                return null;
            }

            // A recognised impersonation, or a wrapper declared beside its revert (CsWin32's SafeHandle overloads).
            ApiCall call = Api.Classify(operation, Options, Model);
            ApiFamily family;
            if (call.Operation == ApiOperation.Impersonate)
            {
                family = call.Family;
            }
            else if (!call.IsRecognized
                && _summaries.Get(operation.TargetMethod, Options.InterproceduralDepth, Options, cancellationToken) is { } summary
                && summary.Has(SummaryEffects.Impersonates))
            {
                family = summary.Family;
            }
            else
            {
                return null;
            }

            if (family == ApiFamily.Managed)
            {
                return UndoFor(impersonation, position, cancellationToken);
            }

            if (PartnerRevert(operation.TargetMethod, family) is not { } revert)
            {
                return null;
            }

            ExpressionSyntax? callee = impersonation.Expression switch
            {
                IdentifierNameSyntax name => SyntaxFactory.IdentifierName(revert.Name).WithTriviaFrom(name),
                MemberAccessExpressionSyntax { Name: IdentifierNameSyntax } access when IsStableReceiver(access.Expression) =>
                    access.WithName(SyntaxFactory.IdentifierName(revert.Name).WithTriviaFrom(access.Name)),
                _ => null,
            };

            if (callee is null)
            {
                return null;
            }

            InvocationExpressionSyntax candidate = SyntaxFactory.InvocationExpression(callee.WithoutTrivia(), SyntaxFactory.ArgumentList());
            if (Model.GetSpeculativeSymbolInfo(position, candidate, SpeculativeBindingOption.BindAsExpression).Symbol is not IMethodSymbol bound
                || Api.Classify(bound, Options).Operation != ApiOperation.Revert)
            {
                return null;
            }

            // The receiver must mean at the new position what it meant at the impersonation.
            if (callee is MemberAccessExpressionSyntax newAccess && impersonation.Expression is MemberAccessExpressionSyntax oldAccess)
            {
                ISymbol? before = Model.GetSymbolInfo(oldAccess.Expression, cancellationToken).Symbol;
                ISymbol? after = Model.GetSpeculativeSymbolInfo(position, newAccess.Expression.WithoutTrivia(), SpeculativeBindingOption.BindAsExpression).Symbol;
                if (!SymbolEqualityComparer.Default.Equals(before, after))
                {
                    return null;
                }
            }

            return candidate;
        }

        /// <summary>
        /// <c>var context = identity.Impersonate();</c> is undone by <c>context.Undo()</c>: the local must still be
        /// that local at <paramref name="position"/>. Null when the context is not kept in a local.
        /// </summary>
        private InvocationExpressionSyntax? UndoFor(InvocationExpressionSyntax impersonation, int position, CancellationToken cancellationToken)
        {
            SyntaxNode? parent = impersonation.Parent;
            while (parent is ParenthesizedExpressionSyntax)
            {
                parent = parent.Parent;
            }

            if (parent is not EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator }
                || Model.GetDeclaredSymbol(declarator, cancellationToken) is not ILocalSymbol local)
            {
                return null;
            }

            InvocationExpressionSyntax candidate = SyntaxFactory.InvocationExpression(
                SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, SyntaxFactory.IdentifierName(local.Name), SyntaxFactory.IdentifierName("Undo")),
                SyntaxFactory.ArgumentList());
            return Model.GetSpeculativeSymbolInfo(position, candidate, SpeculativeBindingOption.BindAsExpression).Symbol is IMethodSymbol bound
                && Api.Classify(bound, Options).Operation == ApiOperation.Revert
                && SymbolEqualityComparer.Default.Equals(
                    Model.GetSpeculativeSymbolInfo(position, SyntaxFactory.IdentifierName(local.Name), SpeculativeBindingOption.BindAsExpression).Symbol, local)
                ? candidate
                : null;
        }

        /// <summary>A parameterless revert declared beside the impersonation (same interface, struct or P/Invoke class).</summary>
        private IMethodSymbol? PartnerRevert(IMethodSymbol impersonation, ApiFamily family)
        {
            INamedTypeSymbol? type = impersonation.ContainingType;
            if (type is null)
            {
                return null;
            }

            IMethodSymbol? found = FindRevertIn(type, impersonation.IsStatic, family);
            if (found is null && type.TypeKind == TypeKind.Interface)
            {
                foreach (INamedTypeSymbol baseInterface in type.AllInterfaces)
                {
                    found = FindRevertIn(baseInterface, isStatic: false, family);
                    if (found is not null)
                    {
                        break;
                    }
                }
            }

            return found;
        }

        /// <summary>A revert of the same family: a class that declares both gives CoImpersonateClient its CoRevertToSelf, ImpersonateLoggedOnUser its RevertToSelf.</summary>
        private IMethodSymbol? FindRevertIn(INamedTypeSymbol type, bool isStatic, ApiFamily family)
        {
            foreach (ISymbol member in type.GetMembers())
            {
                if (member is IMethodSymbol { MethodKind: MethodKind.Ordinary, Parameters.Length: 0, IsGenericMethod: false } candidate
                    && candidate.IsStatic == isStatic
                    && Api.Classify(candidate, Options) is { Operation: ApiOperation.Revert } revert
                    && revert.Family == family)
                {
                    return candidate;
                }
            }

            return null;
        }

        /// <summary>
        /// A receiver that can be evaluated again with the same result and no effect: a local, parameter, field or
        /// property path (<c>_security</c>, <c>this.context.Security</c>, <c>NativeMethods</c>), possibly cast.
        /// </summary>
        private static bool IsStableReceiver(ExpressionSyntax receiver) => receiver switch
        {
            IdentifierNameSyntax or ThisExpressionSyntax or BaseExpressionSyntax or PredefinedTypeSyntax or AliasQualifiedNameSyntax => true,
            GenericNameSyntax generic => !generic.IsUnboundGenericName,
            MemberAccessExpressionSyntax access => IsStableReceiver(access.Expression),
            ParenthesizedExpressionSyntax parenthesized => IsStableReceiver(parenthesized.Expression),
            CastExpressionSyntax cast => IsStableReceiver(cast.Expression),
            _ => false,
        };

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
