using ComImpersonation.Analyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;

namespace ComImpersonation.Analyzers.Analysis
{
    /// <summary>Sees each effect with the state just before it; used once the fixed point is reached.</summary>
    internal interface IImpersonationObserver
    {
        void OnImpersonate(ImpersonationSite site, ImpersonationState before);

        void OnSignal(SignalSite site, ImpersonationState before);

        void OnAwait(IOperation awaitOperation, ImpersonationState before);
    }

    /// <summary>The transfer functions of the impersonation analysis over one <see cref="BodyModel"/>.</summary>
    internal sealed class ImpersonationDomain : IFlowDomain<ImpersonationState>
    {
        private readonly BodyModel _model;
        private readonly IImpersonationObserver? _observer;

        public ImpersonationDomain(BodyModel model, IImpersonationObserver? observer)
        {
            _model = model;
            _observer = observer;
        }

        public ImpersonationState Bottom => default;

        public bool IsBottom(ImpersonationState state) => !state.IsReachable;

        public ImpersonationState Join(ImpersonationState left, ImpersonationState right) => left.Join(right);

        public bool StateEquals(ImpersonationState left, ImpersonationState right) => left.Equals(right);

        public ImpersonationState Transfer(BasicBlock block, ImpersonationState input, out ImpersonationState intermediate)
        {
            intermediate = input;
            Effect[]? effects = _model.EffectsOf(block);
            if (effects is null)
            {
                return input;
            }

            ImpersonationState state = input;
            foreach (Effect effect in effects)
            {
                switch (effect.Kind)
                {
                    case EffectKind.Impersonate:
                        _observer?.OnImpersonate(_model.Impersonations[effect.Index], state);
                        state = state.Impersonated(effect.Index);
                        break;
                    case EffectKind.Revert:
                        state = state.Reverted();
                        break;
                    case EffectKind.Signal:
                        _observer?.OnSignal(_model.Signals[effect.Index], state);
                        state = state.Signalled(effect.Index);
                        break;
                    case EffectKind.Await:
                        _observer?.OnAwait(effect.Operation!, state);
                        state = state.Awaited();
                        break;
                    case EffectKind.BindResult:
                        state = state.Bound(effect.Key!, SiteSet.Of(effect.Index));
                        continue; // bindings do not change what a handler needs to know
                    case EffectKind.CopyResult:
                        state = state.Bound(effect.Key!, state.SitesBoundTo(effect.SourceKey!));
                        continue;
                    case EffectKind.ClearResult:
                        state = state.Bound(effect.Key!, SiteSet.Empty);
                        continue;
                }

                intermediate = intermediate.Join(state);
            }

            return state;
        }

        public ImpersonationState OnEdge(BasicBlock block, ImpersonationState output, bool isConditionalSuccessor)
        {
            if (_model.TestOf(block) is not { } test)
            {
                return output;
            }

            bool conditionValue = isConditionalSuccessor == (block.ConditionKind == ControlFlowConditionKind.WhenTrue);
            if (conditionValue != test.FailureWhenTrue)
            {
                return output; // the success branch: the impersonation holds
            }

            // The failure branch: the thread is not impersonating for the tested call.
            SiteSet failed = test.Site >= 0 ? SiteSet.Of(test.Site) : output.SitesBoundTo(test.Key!);
            return output.WithoutActive(failed);
        }
    }
}
