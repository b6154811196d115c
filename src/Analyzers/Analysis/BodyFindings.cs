using System.Collections.Generic;
using System.Threading;
using ComImpersonation.Analyzers.Api;
using ComImpersonation.Analyzers.Flow;
using Microsoft.CodeAnalysis;

namespace ComImpersonation.Analyzers.Analysis
{
    /// <summary>
    /// The facts the flow analysis established about one body, independent of any rule: which impersonations may
    /// follow a signal, which signals may run while impersonating, which impersonations may outlive the method.
    /// Rules decide what to report from these.
    /// </summary>
    internal sealed class BodyFindings : IImpersonationObserver
    {
        private readonly HashSet<int> _afterSignal = new HashSet<int>();
        private readonly HashSet<int> _signalWhileActive = new HashSet<int>();
        private readonly HashSet<int> _afterAwait = new HashSet<int>();
        private readonly HashSet<int> _acrossAwait = new HashSet<int>();
        private readonly HashSet<int> _impersonated = new HashSet<int>();
        private ImpersonationSite? _firstRestore;

        /// <summary>For each impersonation site: the returns it may still be active at, in source order (after the analysis).</summary>
        private readonly Dictionary<int, List<Location>> _exits = new Dictionary<int, List<Location>>();

        /// <summary>For each impersonation site: the first place (in source order) an exception may leave it active from, and whether it leaves the method.</summary>
        private readonly Dictionary<int, (SyntaxNode Thrower, bool Escapes)> _throwers = new Dictionary<int, (SyntaxNode, bool)>();

        private readonly Dictionary<int, bool> _escapes = new Dictionary<int, bool>();

        private BodyFindings(BodySession.Body body, BodyModel model)
        {
            Body = body;
            Model = model;
        }

        public BodySession.Body Body { get; }

        public BodyModel Model { get; }

        /// <summary>Impersonations that may run after a signal, each with the (first) signal that may precede it.</summary>
        public List<(ImpersonationSite Impersonation, SignalSite Signal)> ImpersonatedAfterSignal { get; } = new List<(ImpersonationSite, SignalSite)>();

        /// <summary>Signals that may run while an impersonation is active, each with the (first) active impersonation.</summary>
        public List<(SignalSite Signal, ImpersonationSite Impersonation)> SignalledWhileImpersonating { get; } = new List<(SignalSite, ImpersonationSite)>();

        /// <summary>Impersonations that may still be active when the body returns normally.</summary>
        public List<ImpersonationSite> ActiveAtNormalExit { get; } = new List<ImpersonationSite>();

        /// <summary>Impersonations that may still be active when an exception leaves the body.</summary>
        public List<ImpersonationSite> ActiveAtExceptionalExit { get; } = new List<ImpersonationSite>();

        /// <summary>Impersonations that may run after an <c>await</c> (possibly on another thread).</summary>
        public List<ImpersonationSite> ImpersonatedAfterAwait { get; } = new List<ImpersonationSite>();

        /// <summary>Impersonations that may still be active at an <c>await</c>, each with the first such await.</summary>
        public List<(ImpersonationSite Impersonation, IOperation Await)> ActiveAcrossAwait { get; } = new List<(ImpersonationSite, IOperation)>();

        /// <summary>
        /// Impersonations that some normal path hands to the caller (SPEC §2 hand-offs: it returns or stores what ends
        /// them, reports them in its result, or only started them). They are the caller's to end, not leaks.
        /// </summary>
        public SiteSet HandedOff { get; private set; }

        /// <summary>
        /// Every path that leaves the thread impersonating hands the impersonation to the caller, and one does: a call
        /// of this body is an impersonation in its caller (on the success branch of its result).
        /// </summary>
        public bool HandsOff => !HandedOff.IsEmpty && ActiveAtNormalExit.Count == 0;

        /// <summary>The body ends impersonations: it reverts, or restores a token saved from the thread.</summary>
        public bool Reverts => Model.HasRevert || _firstRestore is not null;

        /// <summary>Impersonation sites that impersonate on some path (a restore of a saved token does not).</summary>
        public bool Impersonates => _impersonated.Count > 0;

        /// <summary>The first site (in the model's order) that impersonates on some path, if any: a summary names it.</summary>
        public ImpersonationSite? FirstImpersonating
        {
            get
            {
                ImpersonationSite? first = null;
                foreach (int index in _impersonated)
                {
                    first = first is null || index < first.Index ? Model.Impersonations[index] : first;
                }

                return first;
            }
        }

        /// <summary>The first site (in the model's order) that restores a token saved from the thread, if any.</summary>
        public ImpersonationSite? FirstRestore => _firstRestore;

        /// <summary>Runs the analysis; null when the body does nothing of interest or the fixed point was not reached.</summary>
        public static BodyFindings? Analyze(BodySession.Body body, BodyModel model, CancellationToken cancellationToken)
        {
            if (model.IsInert)
            {
                return null;
            }

            FlowResult<ImpersonationState>? result = ForwardFlowEngine<ImpersonationState>.Run(
                model.Graph, new ImpersonationDomain(model, observer: null, cancellationToken), ImpersonationState.EntryWithSaved(model.SavedFieldsOnEntry), cancellationToken);
            if (result is null)
            {
                return null; // did not converge within its bound: stay quiet rather than guess
            }

            var findings = new BodyFindings(body, model);
            var replay = new ImpersonationDomain(model, findings, cancellationToken);
            foreach (KeyValuePair<Microsoft.CodeAnalysis.FlowAnalysis.BasicBlock, ImpersonationState> entry in result.BlockInputs())
            {
                replay.Transfer(entry.Key, entry.Value, out _);
            }

            ImpersonationState exit = result.NormalExit;
            if (exit.IsReachable)
            {
                foreach (int site in exit.Active)
                {
                    findings.ActiveAtNormalExit.Add(model.Impersonations[site]);
                }

                findings.HandedOff = exit.HandedOff;
                foreach (KeyValuePair<Microsoft.CodeAnalysis.FlowAnalysis.ControlFlowBranch, ImpersonationState> returned in result.Exits)
                {
                    if (returned.Value.IsReachable && !returned.Value.Active.IsEmpty)
                    {
                        Location at = PathPlaces.ExitOf(returned.Key, model.Graph);
                        foreach (int site in returned.Value.Active)
                        {
                            if (!findings._exits.TryGetValue(site, out List<Location>? list))
                            {
                                findings._exits[site] = list = new List<Location>();
                            }

                            if (!list.Contains(at))
                            {
                                list.Add(at);
                            }
                        }
                    }
                }

                foreach (List<Location> list in findings._exits.Values)
                {
                    list.Sort((a, b) => a.SourceSpan.Start.CompareTo(b.SourceSpan.Start));
                }
            }

            foreach (int site in result.ExceptionalExit.Active)
            {
                findings.ActiveAtExceptionalExit.Add(model.Impersonations[site]);
            }

            findings.ImpersonatedAfterSignal.Sort((a, b) => a.Impersonation.Index.CompareTo(b.Impersonation.Index));
            findings.SignalledWhileImpersonating.Sort((a, b) => a.Signal.Index.CompareTo(b.Signal.Index));
            findings.ImpersonatedAfterAwait.Sort((a, b) => a.Index.CompareTo(b.Index));
            findings.ActiveAcrossAwait.Sort((a, b) => a.Impersonation.Index.CompareTo(b.Impersonation.Index));
            return findings;
        }

        /// <summary>The returns at which <paramref name="site"/> may still be active, in source order (for COMIMP002).</summary>
        public IReadOnlyList<Location> ExitsOf(ImpersonationSite site) =>
            _exits.TryGetValue(site.Index, out List<Location>? list) ? list : (IReadOnlyList<Location>)System.Array.Empty<Location>();

        /// <summary>
        /// The first operation (in source order) that may throw while <paramref name="site"/> is active and whose
        /// exception leaves the method with it active (no enclosing <c>finally</c> that ends impersonations, no catch
        /// of every exception); failing that, the first that may throw while it is active at all.
        /// </summary>
        public SyntaxNode? ThrowerOf(ImpersonationSite site) =>
            _throwers.TryGetValue(site.Index, out (SyntaxNode Thrower, bool Escapes) found) ? found.Thrower : null;

        /// <summary>The first revert (a revert call, a dispose or undo that ends an impersonation, a restore) after <paramref name="node"/> in the source.</summary>
        public IOperation? RevertAfter(SyntaxNode node)
        {
            IOperation? first = null;
            foreach (Microsoft.CodeAnalysis.FlowAnalysis.BasicBlock block in Model.Graph.Blocks)
            {
                if (Model.EffectsOf(block) is not { } effects)
                {
                    continue;
                }

                foreach (Effect effect in effects)
                {
                    IOperation? revert = effect.Kind switch
                    {
                        EffectKind.Revert or EffectKind.EndIfBound => effect.Operation,
                        EffectKind.Impersonate when effect.Key is not null => effect.Operation,
                        _ => null,
                    };

                    if (revert is not null && revert.Syntax.SyntaxTree == node.SyntaxTree && revert.Syntax.SpanStart > node.SpanStart
                        && (first is null || revert.Syntax.SpanStart < first.Syntax.SpanStart))
                    {
                        first = revert;
                    }
                }
            }

            return first;
        }

        /// <summary>
        /// The <c>await</c> that may precede <paramref name="site"/>: of those from which its block is reached, the last
        /// one before it in the source, else the first.
        /// </summary>
        public IOperation? AwaitBefore(ImpersonationSite site)
        {
            var blocks = Model.Graph.Blocks;
            int siteBlock = -1;
            int siteEffect = -1;
            var awaits = new List<(int Block, int Effect, IOperation Await)>();
            foreach (var block in blocks)
            {
                if (Model.EffectsOf(block) is not { } effects)
                {
                    continue;
                }

                for (int i = 0; i < effects.Length; i++)
                {
                    if (effects[i].Kind == EffectKind.Await && effects[i].Operation is { } awaitOperation)
                    {
                        awaits.Add((block.Ordinal, i, awaitOperation));
                    }
                    else if (effects[i].Kind == EffectKind.Impersonate && effects[i].Index == site.Index && siteBlock < 0)
                    {
                        siteBlock = block.Ordinal;
                        siteEffect = i;
                    }
                }
            }

            IOperation? before = null;
            IOperation? first = null;
            foreach ((int block, int effect, IOperation awaitOperation) in awaits)
            {
                bool reaches = (block == siteBlock && effect < siteEffect) || Reaches(blocks, block, siteBlock);
                if (!reaches)
                {
                    continue;
                }

                if (first is null || awaitOperation.Syntax.SpanStart < first.Syntax.SpanStart)
                {
                    first = awaitOperation;
                }

                if (awaitOperation.Syntax.SpanStart < site.Operation.Syntax.SpanStart
                    && (before is null || awaitOperation.Syntax.SpanStart > before.Syntax.SpanStart))
                {
                    before = awaitOperation;
                }
            }

            return before ?? first ?? (awaits.Count > 0 ? awaits[0].Await : null);
        }

        private static bool Reaches(System.Collections.Immutable.ImmutableArray<Microsoft.CodeAnalysis.FlowAnalysis.BasicBlock> blocks, int from, int to)
        {
            if (to < 0)
            {
                return false;
            }

            var seen = new HashSet<int>();
            var pending = new Stack<int>();
            pending.Push(from);
            while (pending.Count > 0)
            {
                foreach (Microsoft.CodeAnalysis.FlowAnalysis.ControlFlowBranch branch in FlowEdges.Branches(blocks[pending.Pop()]))
                {
                    if (branch.Destination is { } destination)
                    {
                        if (destination.Ordinal == to)
                        {
                            return true;
                        }

                        if (seen.Add(destination.Ordinal))
                        {
                            pending.Push(destination.Ordinal);
                        }
                    }
                }
            }

            return false;
        }

        void IImpersonationObserver.OnThrowPoint(Microsoft.CodeAnalysis.FlowAnalysis.BasicBlock block, IOperation? thrower, ImpersonationState before)
        {
            if (thrower is null || before.Active.IsEmpty)
            {
                return;
            }

            SyntaxNode node = PathPlaces.ThrowerSyntax(thrower);
            if (!_escapes.TryGetValue(block.Ordinal, out bool escapes))
            {
                _escapes[block.Ordinal] = escapes = Escapes(block);
            }

            foreach (int site in before.Active)
            {
                if (!_throwers.TryGetValue(site, out (SyntaxNode Thrower, bool Escapes) known)
                    || (escapes && !known.Escapes)
                    || (escapes == known.Escapes && node.SpanStart < known.Thrower.SpanStart))
                {
                    _throwers[site] = (node, escapes);
                }
            }
        }

        /// <summary>An exception raised in <paramref name="block"/> leaves the method: no enclosing finally ends impersonations, no catch takes every exception.</summary>
        private bool Escapes(Microsoft.CodeAnalysis.FlowAnalysis.BasicBlock block)
        {
            for (Microsoft.CodeAnalysis.FlowAnalysis.ControlFlowRegion? region = block.EnclosingRegion; region is not null; region = region.EnclosingRegion)
            {
                if (region.Kind != Microsoft.CodeAnalysis.FlowAnalysis.ControlFlowRegionKind.Try || region.EnclosingRegion is not { } handlers)
                {
                    continue;
                }

                if (handlers.Kind == Microsoft.CodeAnalysis.FlowAnalysis.ControlFlowRegionKind.TryAndFinally)
                {
                    Microsoft.CodeAnalysis.FlowAnalysis.ControlFlowRegion finallyRegion = handlers.NestedRegions[handlers.NestedRegions.Length - 1];
                    for (int ordinal = finallyRegion.FirstBlockOrdinal; ordinal <= finallyRegion.LastBlockOrdinal; ordinal++)
                    {
                        if (Model.EffectsOf(Model.Graph.Blocks[ordinal]) is { } effects
                            && System.Array.Exists(effects, e => e.Kind is EffectKind.Revert or EffectKind.EndIfBound || (e.Kind == EffectKind.Impersonate && e.Key is not null)))
                        {
                            return false;
                        }
                    }
                }
                else if (ForwardFlowEngine<ImpersonationState>.CatchesEverything(handlers))
                {
                    return false;
                }
            }

            return true;
        }

        void IImpersonationObserver.OnImpersonate(ImpersonationSite site, ImpersonationState before)
        {
            _impersonated.Add(site.Index);
            if (before.Signal >= 0 && _afterSignal.Add(site.Index))
            {
                ImpersonatedAfterSignal.Add((site, Model.Signals[before.Signal]));
            }

            if (before.MayHaveAwaited && _afterAwait.Add(site.Index))
            {
                ImpersonatedAfterAwait.Add(site);
            }
        }

        void IImpersonationObserver.OnSignal(SignalSite site, ImpersonationState before)
        {
            if (!before.Active.IsEmpty && _signalWhileActive.Add(site.Index))
            {
                SignalledWhileImpersonating.Add((site, Model.Impersonations[before.Active.Min()]));
            }
        }

        void IImpersonationObserver.OnRestore(ImpersonationSite site)
        {
            if (_firstRestore is null || site.Index < _firstRestore.Index)
            {
                _firstRestore = site;
            }
        }

        void IImpersonationObserver.OnAwait(IOperation awaitOperation, ImpersonationState before)
        {
            foreach (int site in before.Active)
            {
                if (_acrossAwait.Add(site))
                {
                    ActiveAcrossAwait.Add((Model.Impersonations[site], awaitOperation));
                }
            }
        }
    }
}
