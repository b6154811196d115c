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

        /// <summary>
        /// An exception may leave <paramref name="block"/> from <paramref name="thrower"/> (a call, an object creation,
        /// an await, a <c>throw</c>; null for a rethrow) with the state <paramref name="before"/>.
        /// </summary>
        void OnThrowPoint(BasicBlock block, IOperation? thrower, ImpersonationState before);

        /// <summary>A call put back the token the thread had before (a restore: it ends the impersonations, like a revert).</summary>
        void OnRestore(ImpersonationSite site);
    }

    /// <summary>The transfer functions of the impersonation analysis over one <see cref="BodyModel"/>.</summary>
    internal sealed class ImpersonationDomain : IFlowDomain<ImpersonationState>
    {
        /// <summary>Up to this many bindings, a state is not pruned of dead ones.</summary>
        private const int FewBindings = 4;

        private readonly BodyModel _model;
        private readonly IImpersonationObserver? _observer;

        private readonly System.Threading.CancellationToken _cancellationToken;

        public ImpersonationDomain(BodyModel model, IImpersonationObserver? observer, System.Threading.CancellationToken cancellationToken = default)
        {
            _model = model;
            _observer = observer;
            _cancellationToken = cancellationToken;
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
                        _observer?.OnThrowPoint(block, effect.Operation, state);
                    }

                    state = Apply(effect, state);
                }
            }

            if (block.FallThroughSuccessor is { Semantics: ControlFlowBranchSemantics.Throw or ControlFlowBranchSemantics.Rethrow })
            {
                intermediate = intermediate.Join(state);
                _observer?.OnThrowPoint(block, block.BranchValue, state);
            }

            if (block.ConditionKind != ControlFlowConditionKind.None && _model.TestOf(block) is null)
            {
                // A branch on something other than the result: the path decides things while impersonating.
                state = state.Work();
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
                    if (effect.Key is { } token && state.IsSaved(token))
                    {
                        // SetThreadToken(null, saved): the thread gets back the token it had before, a revert.
                        _observer?.OnRestore(_model.Impersonations[effect.Index]);
                        return state.Reverted();
                    }

                    _observer?.OnImpersonate(_model.Impersonations[effect.Index], state);
                    return state.Impersonated(effect.Index);
                case EffectKind.Revert:
                    return state.Reverted();
                case EffectKind.Signal:
                    _observer?.OnSignal(_model.Signals[effect.Index], state);
                    return state.Signalled(effect.Index).Work();
                case EffectKind.Await:
                    _observer?.OnAwait(effect.Operation!, state);
                    return state.Awaited().Work();
                case EffectKind.BindResult:
                    return state.Written(effect.Key!, nonNull: false, saved: false).Bound(effect.Key!, SiteSet.Of(effect.Index));
                case EffectKind.CopyResult:
                    return state.Written(effect.Key!, nonNull: false, saved: false).Bound(effect.Key!, state.SitesBoundTo(effect.SourceKey!), state.ForeignTo(effect.SourceKey!));
                case EffectKind.ClearResult:
                    // Something else now: a value written while impersonations are active does not report them.
                    return state.Written(effect.Key!, nonNull: false, saved: false).Bound(effect.Key!, SiteSet.Empty, state.Active);
                case EffectKind.SetFlag:
                    // `impersonated = true;` after a successful impersonation: where the flag is false later,
                    // the impersonations active now did not happen.
                    return state.Written(effect.Key!, nonNull: false, saved: false).Bound(effect.Key!, state.Active);
                case EffectKind.MarkNonNull:
                    return state.Written(effect.Key!, nonNull: true, saved: false);
                case EffectKind.MarkSaved:
                    return state.Written(effect.Key!, nonNull: false, saved: true);
                case EffectKind.EndIfBound:
                    // The object a hand-off returned (a context, a scope) is disposed or undone: it ends the impersonation.
                    return EndedByValue(state.SitesBoundTo(effect.Key!)) ? state.Reverted() : state;
                case EffectKind.ThrowPoint:
                case EffectKind.Work:
                    return state.Work(); // a call or object creation: work done as whoever the thread is
                default:
                    return state;
            }
        }

        public ImpersonationState OnEdge(BasicBlock block, ImpersonationState output, bool isConditionalSuccessor)
        {
            ImpersonationState state = _model.TestOf(block) is { } test ? Refine(block, output, test, isConditionalSuccessor) : output;
            ControlFlowBranch? branch = isConditionalSuccessor ? block.ConditionalSuccessor : block.FallThroughSuccessor;
            return state.IsReachable && branch is { Destination.Kind: BasicBlockKind.Exit, Semantics: not (ControlFlowBranchSemantics.Throw or ControlFlowBranchSemantics.Rethrow) }
                ? HandOffAtReturn(block, state, isConditionalSuccessor)
                : state;
        }

        /// <summary>
        /// A path returns: the impersonations it hands to the caller (SPEC §2 "Who ends an impersonation") are this
        /// body's no longer; what stays active is a leak. A path hands an impersonation off when it returns what ends
        /// it (the context, an object whose Dispose reverts) or what reports it (its result, a success value the body
        /// does not return on other paths), stores it where the caller can end it (an out or ref parameter, a field of
        /// a scope type, a scope's constructor), or only started it (did nothing but act on its result since).
        /// </summary>
        private ImpersonationState HandOffAtReturn(BasicBlock block, ImpersonationState state, bool isConditionalSuccessor)
        {
            if (state.Active.IsEmpty || !_model.HandOffs.Allowed)
            {
                return state;
            }

            if (!isConditionalSuccessor && _model.ReturnOf(block) is { } returned && Reports(returned, state))
            {
                return state.HandOff(state.Active);
            }

            if (_model.HandOffs.IsScopeConstructor)
            {
                return state.HandOff(state.Active);
            }

            // Only started: nothing but acting on the result since. A body that reverts on some path ends its
            // impersonations itself: no wrapper. Nor is an interface member (a COM callback) that ignores whether it
            // impersonated: it just leaves the token on the thread.
            SiteSet handed = _model.HasRevert ? SiteSet.Empty : state.Active.Except(state.Worked);
            if (!handed.IsEmpty && _model.HandOffs.ImplementsInterface)
            {
                handed = handed.Except(_model.UncheckedSites(_cancellationToken));
            }

            if (state.Bindings is { } bindings)
            {
                foreach (ResultBinding binding in bindings)
                {
                    if (binding.Key is IParameterSymbol { RefKind: RefKind.Out or RefKind.Ref }
                        || (binding.Key is IFieldSymbol { IsStatic: false } && _model.HandOffs.IsScopeType))
                    {
                        handed = handed.Union(Intersect(binding.Sites, state.Active));
                    }
                }
            }

            return state.HandOff(handed);
        }

        private static bool Reports(ReturnValue returned, ImpersonationState state) =>
            returned.EndsImpersonation
            || returned.ReportsSuccess
            || (returned.Site >= 0 && state.Active.Contains(returned.Site))
            || (returned.Key is { } key
                && !Intersect(state.SitesBoundTo(key), state.Active).IsEmpty
                && Intersect(state.ForeignTo(key), state.Active).IsEmpty);

        /// <summary>Some of <paramref name="sites"/> is ended by disposing or undoing the value it returned.</summary>
        private bool EndedByValue(SiteSet sites)
        {
            foreach (int site in sites)
            {
                if (_model.Impersonations[site].EndedByItsValue)
                {
                    return true;
                }
            }

            return false;
        }

        private static SiteSet Intersect(SiteSet left, SiteSet right) => left.Except(left.Except(right));

        private ImpersonationState Refine(BasicBlock block, ImpersonationState output, ResultTest test, bool isConditionalSuccessor)
        {
            bool conditionValue = isConditionalSuccessor == (block.ConditionKind == ControlFlowConditionKind.WhenTrue);
            bool failureBranch = conditionValue == test.FailureWhenTrue;
            if (test.Site == ResultTest.AllSites)
            {
                // IsImpersonating() said no: the thread is not impersonating at all.
                return failureBranch ? output.Reverted() : output;
            }

            if (test.Kind == ResultTestKind.Null && failureBranch && test.Key is { } nullTested && output.IsNonNull(nullTested))
            {
                return default; // a value that cannot be null has no null branch
            }

            SiteSet tested = test.Site >= 0 ? SiteSet.Of(test.Site) : output.SitesBoundTo(test.Key!);
            SiteSet zeroMeansFailure = _model.ZeroMeansFailure;
            if (test.Kind is ResultTestKind.ZeroEquality or ResultTestKind.ZeroOrder && !zeroMeansFailure.IsEmpty)
            {
                // A BOOL declared as int: the same reading the fixes use (ResultChecks.FailureSense): `r == 0` is its
                // failure test, the opposite of an HRESULT's, and `r < 0` says nothing about it.
                SiteSet bools = tested.Except(tested.Except(zeroMeansFailure));
                SiteSet others = tested.Except(bools);
                SiteSet failed = failureBranch ? others : SiteSet.Empty;
                if (ResultChecks.FailureSense(test.Kind, test.FailureWhenTrue, zeroMeansFailure: true) is bool boolSense
                    && conditionValue == boolSense)
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
