using System;
using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;

namespace ComImpersonation.Analyzers.Flow
{
    /// <summary>
    /// A worklist fixed point of a forward data-flow analysis over one <see cref="ControlFlowGraph"/>.
    /// <list type="bullet">
    /// <item>Branches that leave <c>try</c> regions run their <c>finally</c> regions first, each under its own
    /// <see cref="FlowContext"/>, then continue to the branch's destination.</item>
    /// <item>A <c>catch</c>, filter, or exceptional <c>finally</c> starts from the join of the try's entry state and
    /// every state at a point inside the try where the domain says an exception can be thrown.</item>
    /// <item>The states with which an exception leaves the method (through any <c>finally</c> on the way) are
    /// joined into <see cref="FlowResult{TState}.ExceptionalExit"/>.</item>
    /// <item>Only reachable code gets a state; the number of steps is bounded, and an analysis that does not
    /// converge within the bound reports nothing rather than something wrong.</item>
    /// </list>
    /// </summary>
    internal sealed class ForwardFlowEngine<TState>
        where TState : struct
    {
        private readonly ControlFlowGraph _graph;
        private readonly IFlowDomain<TState> _domain;
        private readonly CancellationToken _cancellationToken;

        private readonly Dictionary<NodeKey, TState> _inputs;
        private readonly Dictionary<ThrownKey, TState> _thrown = new Dictionary<ThrownKey, TState>();

        /// <summary>For the first block of each reachable try region: the contexts it is reached in.</summary>
        private readonly Dictionary<int, List<FlowContext?>> _tryEntryContexts = new Dictionary<int, List<FlowContext?>>();

        /// <summary>For each try region: the contexts in which something was thrown in it (keys of <see cref="_thrown"/>).</summary>
        private readonly Dictionary<ControlFlowRegion, List<FlowContext?>> _thrownContexts = new Dictionary<ControlFlowRegion, List<FlowContext?>>();

        private readonly Queue<NodeKey> _worklist = new Queue<NodeKey>();
        private readonly HashSet<NodeKey> _queued;
        private readonly Dictionary<BranchKey, FlowContext> _branchContexts = new Dictionary<BranchKey, FlowContext>();
        private readonly Dictionary<RegionKey, FlowContext> _exceptionContexts = new Dictionary<RegionKey, FlowContext>();
        private readonly List<ControlFlowRegion> _protectedRegions = new List<ControlFlowRegion>();
        private TState _exceptionalExit;

        /// <summary>For each branch that returns (through its finally regions, if any): the state it reaches the exit with.</summary>
        private readonly Dictionary<ControlFlowBranch, TState> _exits = new Dictionary<ControlFlowBranch, TState>();

        private ForwardFlowEngine(ControlFlowGraph graph, IFlowDomain<TState> domain, CancellationToken cancellationToken)
        {
            _graph = graph;
            _domain = domain;
            _cancellationToken = cancellationToken;
            _inputs = new Dictionary<NodeKey, TState>(graph.Blocks.Length);
            _queued = new HashSet<NodeKey>();
            _exceptionalExit = domain.Bottom;
            CollectProtectedRegions(graph.Root);
            foreach (ControlFlowRegion tryRegion in _protectedRegions)
            {
                _tryEntryContexts[tryRegion.FirstBlockOrdinal] = new List<FlowContext?>();
            }
        }

        /// <summary>Runs the analysis to its fixed point; null when it did not converge within the step bound.</summary>
        public static FlowResult<TState>? Run(ControlFlowGraph graph, IFlowDomain<TState> domain, TState entryState, CancellationToken cancellationToken)
        {
            var engine = new ForwardFlowEngine<TState>(graph, domain, cancellationToken);
            return engine.Solve(entryState);
        }

        private FlowResult<TState>? Solve(TState entryState)
        {
            // Each node's state only grows and the lattice has finite height for a given graph, so this bound is
            // only ever reached by pathological input; it keeps the cost linear in the graph's size.
            long budget = 200L + (64L * _graph.Blocks.Length);
            Propagate(0, context: null, entryState);
            do
            {
                while (_worklist.Count > 0)
                {
                    _cancellationToken.ThrowIfCancellationRequested();
                    if (--budget < 0)
                    {
                        return null;
                    }

                    NodeKey node = _worklist.Dequeue();
                    _queued.Remove(node);
                    Process(node);
                }
            }
            while (SeedHandlers());

            if (!_inputs.TryGetValue(new NodeKey(_graph.Blocks.Length - 1, null), out TState exit))
            {
                exit = _domain.Bottom;
            }

            return new FlowResult<TState>(_graph, _inputs, exit, _exceptionalExit, _exits);
        }

        private void Process(NodeKey node)
        {
            BasicBlock block = _graph.Blocks[node.Ordinal];
            TState input = _inputs[node];
            TState output = _domain.Transfer(block, input, out TState intermediate);

            Throw(block.EnclosingRegion, node.Context, intermediate);

            if (block.ConditionalSuccessor is { } conditional)
            {
                Follow(conditional, _domain.OnEdge(block, output, isConditionalSuccessor: true), node.Context);
            }

            if (block.FallThroughSuccessor is { } fallThrough)
            {
                Follow(fallThrough, _domain.OnEdge(block, output, isConditionalSuccessor: false), node.Context);
            }
        }

        private void Follow(ControlFlowBranch branch, TState state, FlowContext? context)
        {
            if (_domain.IsBottom(state))
            {
                return;
            }

            switch (branch.Semantics)
            {
                case ControlFlowBranchSemantics.Regular:
                case ControlFlowBranchSemantics.Return:
                    if (FlowEdges.Entry(branch) is { } entry)
                    {
                        if (branch.FinallyRegions.IsEmpty && entry == _graph.Blocks.Length - 1)
                        {
                            RecordExit(branch, state);
                        }

                        // Each finally the branch runs runs under a context of its own, whose end goes on only where
                        // this branch goes (FlowEdges.AfterFinally).
                        Propagate(entry, branch.FinallyRegions.IsEmpty ? context : BranchContext(branch, 0, context), state);
                    }

                    break;

                case ControlFlowBranchSemantics.StructuredExceptionHandling:
                    // The end of a finally region: continue where the reason for running it continues.
                    if (context is { IsExceptional: false } running2
                        && Contains(running2.RunningRegion, branch.Source.Ordinal))
                    {
                        ContinueAfterFinally(running2, state);
                    }

                    // An exceptional finally ends here: the exception goes on to an enclosing handler, which already
                    // starts from the join of the states thrown in its try region, or leaves the method.
                    else if (context is { IsExceptional: true } thrown
                        && Contains(thrown.RunningRegion, branch.Source.Ordinal))
                    {
                        Throw(thrown.RunningRegion.EnclosingRegion!.EnclosingRegion, thrown.Parent, state);
                    }

                    break;

                default:
                    // Throw, rethrow, program termination, error: no normal successor.
                    break;
            }
        }

        private void ContinueAfterFinally(FlowContext running, TState state)
        {
            ControlFlowBranch branch = running.Branch!;
            int next = running.FinallyIndex + 1;
            if (FlowEdges.AfterFinally(branch, running.FinallyIndex) is { } continuation)
            {
                if (next >= branch.FinallyRegions.Length && continuation == _graph.Blocks.Length - 1)
                {
                    RecordExit(branch, state);
                }

                Propagate(continuation, next < branch.FinallyRegions.Length ? BranchContext(branch, next, running.Parent) : running.Parent, state);
            }
        }

        private void RecordExit(ControlFlowBranch branch, TState state)
        {
            if (_graph.Blocks[branch.Destination!.Ordinal].IsReachable)
            {
                _exits[branch] = _exits.TryGetValue(branch, out TState previous) ? _domain.Join(previous, state) : state;
            }
        }

        /// <summary>Starts catch, filter and exceptional-finally regions; true when any of their inputs grew.</summary>
        private bool SeedHandlers()
        {
            bool changed = false;
            foreach (ControlFlowRegion tryRegion in _protectedRegions)
            {
                List<FlowContext?> entryContexts = _tryEntryContexts[tryRegion.FirstBlockOrdinal];
                if (entryContexts.Count == 0)
                {
                    continue; // the try region is unreachable
                }

                ControlFlowRegion enclosing = tryRegion.EnclosingRegion!;
                _thrownContexts.TryGetValue(tryRegion, out List<FlowContext?>? thrownContexts);

                // Propagating below may reach this try's entry in a new context: that one is seeded next round.
                int reached = entryContexts.Count;
                for (int e = 0; e < reached; e++)
                {
                    FlowContext? entryContext = entryContexts[e];

                    // An exception can also come before anything in the try ran (an asynchronous one, or one the
                    // model does not see as a throw point): the handler sees the try's entry state too.
                    TState thrown = _inputs[new NodeKey(tryRegion.FirstBlockOrdinal, entryContext)];
                    if (thrownContexts is not null)
                    {
                        foreach (FlowContext? context in thrownContexts)
                        {
                            if (FlowContext.IsWithin(context, entryContext))
                            {
                                thrown = _domain.Join(thrown, _thrown[new ThrownKey(tryRegion, context)]);
                            }
                        }
                    }

                    foreach (ControlFlowRegion handler in enclosing.NestedRegions)
                    {
                        if (ReferenceEquals(handler, tryRegion))
                        {
                            continue;
                        }

                        switch (handler.Kind)
                        {
                            case ControlFlowRegionKind.Finally:
                                changed |= Propagate(handler.FirstBlockOrdinal, ExceptionContext(handler, entryContext), thrown);
                                break;
                            case ControlFlowRegionKind.Catch:
                                changed |= Propagate(handler.FirstBlockOrdinal, entryContext, thrown);
                                break;
                            case ControlFlowRegionKind.FilterAndHandler:
                                // The filter runs first; the handler runs when it accepts. Both see the thrown state.
                                foreach (ControlFlowRegion part in handler.NestedRegions)
                                {
                                    changed |= Propagate(part.FirstBlockOrdinal, entryContext, thrown);
                                }

                                break;
                        }
                    }
                }
            }

            return changed;
        }

        /// <summary>
        /// An exception raised in <paramref name="region"/> with <paramref name="state"/>: it goes to the handlers of
        /// the innermost enclosing try region (through a finally, that finally's own exceptional run brings it on),
        /// or leaves the method.
        /// </summary>
        private void Throw(ControlFlowRegion? region, FlowContext? context, TState state)
        {
            if (_domain.IsBottom(state))
            {
                return;
            }

            for (ControlFlowRegion? current = region; ; current = current.EnclosingRegion)
            {
                while (current is not null && current.Kind != ControlFlowRegionKind.Try)
                {
                    current = current.EnclosingRegion;
                }

                if (current is null)
                {
                    _exceptionalExit = _domain.Join(_exceptionalExit, state);
                    return;
                }

                var key = new ThrownKey(current, context);
                if (_thrown.TryGetValue(key, out TState previous))
                {
                    _thrown[key] = _domain.Join(previous, state);
                }
                else
                {
                    _thrown.Add(key, state);
                    if (!_thrownContexts.TryGetValue(current, out List<FlowContext?>? contexts))
                    {
                        _thrownContexts[current] = contexts = new List<FlowContext?>(1);
                    }

                    contexts.Add(context);
                }

                // A finally brings the exception on when it ends; a catch of every exception stops it. Typed
                // catches may not match: the exception may also go on to the next enclosing try, or out.
                ControlFlowRegion handlers = current.EnclosingRegion!;
                if (handlers.Kind == ControlFlowRegionKind.TryAndFinally || CatchesEverything(handlers))
                {
                    return;
                }

                current = handlers;
            }
        }

        internal static bool CatchesEverything(ControlFlowRegion tryAndCatch)
        {
            foreach (ControlFlowRegion handler in tryAndCatch.NestedRegions)
            {
                if (handler.Kind == ControlFlowRegionKind.Catch
                    && handler.ExceptionType is { } type
                    && (type.SpecialType == SpecialType.System_Object
                        || (type.Name == "Exception" && type.ContainingNamespace is { Name: "System", ContainingNamespace.IsGlobalNamespace: true })))
                {
                    return true;
                }
            }

            return false;
        }

        private bool Propagate(int ordinal, FlowContext? context, TState state)
        {
            if (!_graph.Blocks[ordinal].IsReachable)
            {
                // Roslyn keeps some edges the compiler knows are never taken (out of `while (true)`); the block's
                // own reachability is the compiler's verdict, and unreachable code is never reported.
                return false;
            }

            var key = new NodeKey(ordinal, context);
            if (_inputs.TryGetValue(key, out TState existing))
            {
                TState joined = _domain.Join(existing, state);
                if (_domain.StateEquals(joined, existing))
                {
                    return false;
                }

                _inputs[key] = joined;
            }
            else
            {
                _inputs[key] = state;
                if (_tryEntryContexts.TryGetValue(ordinal, out List<FlowContext?>? contexts))
                {
                    contexts.Add(context);
                }
            }

            if (_queued.Add(key))
            {
                _worklist.Enqueue(key);
            }

            return true;
        }

        private FlowContext BranchContext(ControlFlowBranch branch, int index, FlowContext? parent)
        {
            var key = new BranchKey(branch, index, parent);
            if (!_branchContexts.TryGetValue(key, out FlowContext? context))
            {
                context = FlowContext.ForBranch(branch, index, parent);
                _branchContexts.Add(key, context);
            }

            return context;
        }

        private FlowContext ExceptionContext(ControlFlowRegion finallyRegion, FlowContext? parent)
        {
            var key = new RegionKey(finallyRegion, parent);
            if (!_exceptionContexts.TryGetValue(key, out FlowContext? context))
            {
                context = FlowContext.ForException(finallyRegion, parent);
                _exceptionContexts.Add(key, context);
            }

            return context;
        }

        private void CollectProtectedRegions(ControlFlowRegion region)
        {
            if (region.Kind == ControlFlowRegionKind.Try)
            {
                _protectedRegions.Add(region);
            }

            foreach (ControlFlowRegion nested in region.NestedRegions)
            {
                CollectProtectedRegions(nested);
            }
        }

        private static bool Contains(ControlFlowRegion region, int ordinal) =>
            region.FirstBlockOrdinal <= ordinal && ordinal <= region.LastBlockOrdinal;

        internal readonly struct NodeKey : IEquatable<NodeKey>
        {
            public NodeKey(int ordinal, FlowContext? context)
            {
                Ordinal = ordinal;
                Context = context;
            }

            public int Ordinal { get; }

            public FlowContext? Context { get; }

            public bool Equals(NodeKey other) => Ordinal == other.Ordinal && ReferenceEquals(Context, other.Context);

            public override bool Equals(object? obj) => obj is NodeKey other && Equals(other);

            public override int GetHashCode() => (Ordinal * 397) ^ (Context is null ? 0 : System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(Context));
        }

        private readonly struct BranchKey : IEquatable<BranchKey>
        {
            private readonly ControlFlowBranch _branch;
            private readonly int _index;
            private readonly FlowContext? _parent;

            public BranchKey(ControlFlowBranch branch, int index, FlowContext? parent)
            {
                _branch = branch;
                _index = index;
                _parent = parent;
            }

            public bool Equals(BranchKey other) =>
                ReferenceEquals(_branch, other._branch) && _index == other._index && ReferenceEquals(_parent, other._parent);

            public override bool Equals(object? obj) => obj is BranchKey other && Equals(other);

            public override int GetHashCode() =>
                System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(_branch) ^ (_index * 31)
                ^ (_parent is null ? 0 : System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(_parent));
        }

        private readonly struct ThrownKey : IEquatable<ThrownKey>
        {
            public ThrownKey(ControlFlowRegion tryRegion, FlowContext? context)
            {
                Try = tryRegion;
                Context = context;
            }

            public ControlFlowRegion Try { get; }

            public FlowContext? Context { get; }

            public bool Equals(ThrownKey other) => ReferenceEquals(Try, other.Try) && ReferenceEquals(Context, other.Context);

            public override bool Equals(object? obj) => obj is ThrownKey other && Equals(other);

            public override int GetHashCode() =>
                System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(Try)
                ^ (Context is null ? 0 : System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(Context));
        }

        private readonly struct RegionKey : IEquatable<RegionKey>
        {
            private readonly ControlFlowRegion _region;
            private readonly FlowContext? _parent;

            public RegionKey(ControlFlowRegion region, FlowContext? parent)
            {
                _region = region;
                _parent = parent;
            }

            public bool Equals(RegionKey other) => ReferenceEquals(_region, other._region) && ReferenceEquals(_parent, other._parent);

            public override bool Equals(object? obj) => obj is RegionKey other && Equals(other);

            public override int GetHashCode() =>
                System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(_region)
                ^ (_parent is null ? 0 : System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(_parent));
        }
    }

    /// <summary>The fixed point: each reachable block's input state, per context, and the state at normal exit.</summary>
    internal sealed class FlowResult<TState>
        where TState : struct
    {
        private readonly Dictionary<ForwardFlowEngine<TState>.NodeKey, TState> _inputs;

        internal FlowResult(ControlFlowGraph graph, Dictionary<ForwardFlowEngine<TState>.NodeKey, TState> inputs, TState normalExit, TState exceptionalExit, Dictionary<ControlFlowBranch, TState> exits)
        {
            Exits = exits;
            Graph = graph;
            _inputs = inputs;
            NormalExit = normalExit;
            ExceptionalExit = exceptionalExit;
        }

        public ControlFlowGraph Graph { get; }

        /// <summary>The join of the states with which the method returns normally (bottom if it never does).</summary>
        public TState NormalExit { get; }

        /// <summary>
        /// Each branch that returns normally, with the state it reaches the exit with: after its <c>finally</c>
        /// regions ran, if it leaves any (the branch is the return, not the end of the last finally).
        /// </summary>
        public IReadOnlyDictionary<ControlFlowBranch, TState> Exits { get; }

        /// <summary>The join of the states with which an exception may leave the method (bottom if none can).</summary>
        public TState ExceptionalExit { get; }

        /// <summary>Every reachable (block, context) with its input state, in no particular order.</summary>
        public IEnumerable<KeyValuePair<BasicBlock, TState>> BlockInputs()
        {
            foreach (KeyValuePair<ForwardFlowEngine<TState>.NodeKey, TState> entry in _inputs)
            {
                yield return new KeyValuePair<BasicBlock, TState>(Graph.Blocks[entry.Key.Ordinal], entry.Value);
            }
        }
    }
}
