using System.Collections.Generic;
using ComImpersonation.Analyzers.Api;
using ComImpersonation.Analyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ComImpersonation.Analyzers.Analysis
{
    /// <summary>
    /// One body's control-flow graph with what each block does, extracted once so the fixed point never walks
    /// operation trees. Blocks with nothing of interest have no effects and cost nothing to transfer.
    /// </summary>
    internal sealed partial class BodyModel
    {
        private readonly Effect[]?[] _effects;
        private readonly ResultTest?[] _tests;
        private readonly ReturnValue?[] _returns;
        private readonly HashSet<object> _trackedKeys;
        private readonly SemanticModel _semanticModel;
        private ResultLiveness? _liveness;
        private SiteSet? _uncheckedSites;

        private BodyModel(ControlFlowGraph graph, Effect[]?[] effects, ResultTest?[] tests, ReturnValue?[] returns, HandOffRules handOffs, HashSet<object> trackedKeys, List<ImpersonationSite> impersonations, List<SignalSite> signals, List<RevertSite> reverts, List<IFlowAnonymousFunctionOperation> anonymousFunctions, List<Handoff> handoffs, List<DroppedImpersonatedRun> droppedRuns, bool hasRevert, bool hasAwait, object[]? savedFields, SemanticModel semanticModel)
        {
            Graph = graph;
            _semanticModel = semanticModel;
            _returns = returns;
            HandOffs = handOffs;
            SavedFieldsOnEntry = savedFields;
            _trackedKeys = trackedKeys;
            DroppedRuns = droppedRuns;
            foreach (ImpersonationSite site in impersonations)
            {
                if (site.Api.Shape == ResultShape.Bool32)
                {
                    ZeroMeansFailure = ZeroMeansFailure.Add(site.Index);
                }
            }

            Handoffs = handoffs;
            AnonymousFunctions = anonymousFunctions;
            _effects = effects;
            _tests = tests;
            Impersonations = impersonations;
            Signals = signals;
            Reverts = reverts;
            HasRevert = hasRevert;
            HasAwait = hasAwait;
        }

        public ControlFlowGraph Graph { get; }

        public IReadOnlyList<ImpersonationSite> Impersonations { get; }

        public IReadOnlyList<SignalSite> Signals { get; }

        /// <summary>The calls that end impersonations (reverts, revert wrappers, disposes and undos), in the order they were found.</summary>
        public IReadOnlyList<RevertSite> Reverts { get; }

        /// <summary>
        /// The revert whose call <paramref name="operation"/> is, if it is one (a body has few). A scope's
        /// <c>Dispose()</c> is both the end of what it is bound to and a revert wrapper: the one with a place inside wins.
        /// </summary>
        public RevertSite? RevertSiteOf(IOperation operation)
        {
            RevertSite? found = null;
            foreach (RevertSite revert in Reverts)
            {
                if (ReferenceEquals(revert.Operation, operation) && (found is null || (found.Inside is null && revert.Inside is not null)))
                {
                    found = revert;
                }
            }

            return found;
        }

        public bool HasRevert { get; }

        /// <summary>Delegates this body hands to an API that runs them on another thread.</summary>
        public IReadOnlyList<Handoff> Handoffs { get; }

        /// <summary>Lambdas and anonymous methods created in this body; each has a graph of its own.</summary>
        public IReadOnlyList<IFlowAnonymousFunctionOperation> AnonymousFunctions { get; }

        public bool HasAwait { get; }

        /// <summary>Impersonations whose result is a BOOL declared as <c>int</c>: zero is failure, not success.</summary>
        public SiteSet ZeroMeansFailure { get; }

        /// <summary>Async delegates run impersonated whose Task is dropped (COMIMP006).</summary>
        public IReadOnlyList<DroppedImpersonatedRun> DroppedRuns { get; }

        /// <summary>True when the body does nothing a rule could report on, so it needs no fixed point.</summary>
        public bool IsInert => Impersonations.Count == 0 && Signals.Count == 0;

        /// <summary>What this body may hand to its caller, and how (SPEC §2 "Who ends an impersonation").</summary>
        public HandOffRules HandOffs { get; }

        /// <summary>
        /// Impersonations whose result the body does not act on (COMIMP004): a body that ignores whether it impersonated
        /// did not "only start" the impersonation for a caller (SPEC §2); it just left it on the thread. Worked out on
        /// first need.
        /// </summary>
        public SiteSet UncheckedSites(System.Threading.CancellationToken cancellationToken)
        {
            if (_uncheckedSites is { } known)
            {
                return known;
            }

            SiteSet sites = SiteSet.Empty;
            foreach ((ImpersonationSite site, UncheckedVerdict verdict) in ResultUse.FindUnchecked(this, Graph.OriginalOperation.Syntax, _semanticModel, cancellationToken))
            {
                if (verdict.How != UncheckedResult.Swallowed)
                {
                    sites = sites.Add(site.Index);
                }
            }

            _uncheckedSites = sites;
            return sites;
        }

        /// <summary>Fields of the body's type that hold a token saved from the thread whenever the type writes them.</summary>
        public object[]? SavedFieldsOnEntry { get; }

        public Effect[]? EffectsOf(BasicBlock block) => _effects[block.Ordinal];

        public ResultTest? TestOf(BasicBlock block) => _tests[block.Ordinal];

        /// <summary>
        /// Some return hands the caller what ends an impersonation: a context, an object whose <c>Dispose()</c> reverts,
        /// or a local bound to a context.
        /// </summary>
        public bool ReturnsEnder
        {
            get
            {
                foreach (ReturnValue? returned in _returns)
                {
                    if (returned is { } value
                        && (value.EndsImpersonation
                            || (value.Site >= 0 && Impersonations[value.Site].EndedByItsValue)
                            || (value.Key is { } key && IsBoundToEnder(key))))
                    {
                        return true;
                    }
                }

                return false;
            }
        }

        private bool IsBoundToEnder(object key)
        {
            foreach (Effect[]? effects in _effects)
            {
                if (effects is null)
                {
                    continue;
                }

                foreach (Effect effect in effects)
                {
                    if (effect.Kind == EffectKind.BindResult && effect.Key!.Equals(key) && Impersonations[effect.Index].EndedByItsValue)
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        /// <summary>The value <paramref name="block"/> returns, when it ends in a <c>return</c> with a value.</summary>
        public ReturnValue? ReturnOf(BasicBlock block) => _returns[block.Ordinal];

        /// <summary>
        /// True when a binding of <paramref name="key"/> may still be read from the start of <paramref name="block"/> on.
        /// Fields and <c>out</c>/<c>ref</c> parameters outlive the body: what they hold is read at its exit (a hand-off).
        /// The liveness of the body's keys is worked out on the first question (most bodies never ask).
        /// </summary>
        public bool IsLiveOnEntry(BasicBlock block, object key) =>
            key is IFieldSymbol or IParameterSymbol { RefKind: RefKind.Out or RefKind.Ref }
            || (_liveness ??= ResultLiveness.Compute(Graph, _effects, _tests, _returns, _trackedKeys)).IsLiveOnEntry(block, key);

        public static BodyModel Build(ControlFlowGraph graph, IMethodSymbol? owner, BodySession session)
        {
            var builder = new Builder(graph, owner, session);
            return builder.Build();
        }
    }
}
