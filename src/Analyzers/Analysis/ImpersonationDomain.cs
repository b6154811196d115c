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
        /// <summary>Up to this many bindings, a state is not pruned of dead ones.</summary>
        private const int FewBindings = 4;

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
            // intermediate: the states an exception can leave this block with (before each operation that may
            // throw, and at a throw statement); an impersonation checked and reverted with nothing in between
            // that can throw leaves no such state behind.
            intermediate = default;
            ImpersonationState state = WithoutDeadBindings(block, input);
            Effect[]? effects = _model.EffectsOf(block);
            if (effects is not null)
            {
                foreach (Effect effect in effects)
                {
                    if (effect.MayThrow)
                    {
                        intermediate = intermediate.Join(state);
                    }

                    state = Apply(effect, state);
                }
            }

            if (block.FallThroughSuccessor is { Semantics: ControlFlowBranchSemantics.Throw or ControlFlowBranchSemantics.Rethrow })
            {
                intermediate = intermediate.Join(state);
            }

            return state;
        }

        /// <summary>
        /// Drops the bindings no path from here can read (<see cref="ResultLiveness"/>); allocates only when one dies.
        /// A state with a few bindings keeps them all: dead ones cost little until there are many, and most bodies
        /// then never need their liveness worked out.
        /// </summary>
        private ImpersonationState WithoutDeadBindings(BasicBlock block, ImpersonationState state)
        {
            ResultBinding[]? bindings = state.Bindings;
            if (bindings is null || bindings.Length <= FewBindings)
            {
                return state;
            }

            int live = 0;
            foreach (ResultBinding binding in bindings)
            {
                if (_model.IsLiveOnEntry(block, binding.Key))
                {
                    live++;
                }
            }

            if (live == bindings.Length)
            {
                return state;
            }

            ResultBinding[]? kept = null;
            if (live > 0)
            {
                kept = new ResultBinding[live];
                int next = 0;
                foreach (ResultBinding binding in bindings)
                {
                    if (_model.IsLiveOnEntry(block, binding.Key))
                    {
                        kept[next++] = binding;
                    }
                }
            }

            return state.WithBindings(kept);
        }

        private ImpersonationState Apply(Effect effect, ImpersonationState state)
        {
            switch (effect.Kind)
            {
                case EffectKind.Impersonate:
                    _observer?.OnImpersonate(_model.Impersonations[effect.Index], state);
                    return state.Impersonated(effect.Index);
                case EffectKind.Revert:
                    return state.Reverted();
                case EffectKind.Signal:
                    _observer?.OnSignal(_model.Signals[effect.Index], state);
                    return state.Signalled(effect.Index);
                case EffectKind.Await:
                    _observer?.OnAwait(effect.Operation!, state);
                    return state.Awaited();
                case EffectKind.BindResult:
                    return state.Bound(effect.Key!, SiteSet.Of(effect.Index));
                case EffectKind.CopyResult:
                    return state.Bound(effect.Key!, state.SitesBoundTo(effect.SourceKey!));
                case EffectKind.ClearResult:
                    return state.Bound(effect.Key!, SiteSet.Empty);
                case EffectKind.SetFlag:
                    // `impersonated = true;` after a successful impersonation: where the flag is false later,
                    // the impersonations active now did not happen.
                    return state.Bound(effect.Key!, state.Active);
                default:
                    return state; // a throw point changes nothing
            }
        }

        public ImpersonationState OnEdge(BasicBlock block, ImpersonationState output, bool isConditionalSuccessor)
        {
            if (_model.TestOf(block) is not { } test)
            {
                return output;
            }

            bool conditionValue = isConditionalSuccessor == (block.ConditionKind == ControlFlowConditionKind.WhenTrue);
            bool failureBranch = conditionValue == test.FailureWhenTrue;
            if (test.Site == ResultTest.AllSites)
            {
                // IsImpersonating() said no: the thread is not impersonating at all.
                return failureBranch ? output.Reverted() : output;
            }

            SiteSet tested = test.Site >= 0 ? SiteSet.Of(test.Site) : output.SitesBoundTo(test.Key!);
            SiteSet zeroMeansFailure = _model.ZeroMeansFailure;
            if (test.Kind != ResultTestKind.Other && !zeroMeansFailure.IsEmpty)
            {
                // A BOOL declared as int: `r == 0` is its failure test (the opposite of an HRESULT's), and `r < 0`
                // says nothing about it.
                SiteSet bools = tested.Except(tested.Except(zeroMeansFailure));
                SiteSet others = tested.Except(bools);
                SiteSet failed = failureBranch ? others : SiteSet.Empty;
                if (test.Kind == ResultTestKind.ZeroEquality && !failureBranch)
                {
                    failed = failed.Union(bools);
                }

                return failed.IsEmpty ? output : output.WithoutActive(failed);
            }

            // The failure branch: the thread is not impersonating for the tested call.
            return failureBranch ? output.WithoutActive(tested) : output;
        }
    }
}
