using System.Collections.Generic;
using System.Threading;
using ComImpersonation.Analyzers.Api;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ComImpersonation.Analyzers.Analysis
{
    /// <summary>
    /// One code block (a member's body) with every body inside it: the member's own graph and those of its
    /// lambdas and local functions, each analysed on its own. Also answers what a local function call may do.
    /// </summary>
    internal sealed class BodySession
    {
        private readonly Dictionary<IMethodSymbol, ControlFlowGraph> _localFunctionGraphs =
            new Dictionary<IMethodSymbol, ControlFlowGraph>(SymbolEqualityComparer.Default);

        private readonly Dictionary<ControlFlowGraph, BodyModel> _models = new Dictionary<ControlFlowGraph, BodyModel>();
        private readonly Dictionary<IMethodSymbol, bool> _maySignal = new Dictionary<IMethodSymbol, bool>(SymbolEqualityComparer.Default);
        private readonly List<Body> _bodies = new List<Body>();
        private readonly Dictionary<IMethodSymbol, Handoff> _handedOff = new Dictionary<IMethodSymbol, Handoff>(SymbolEqualityComparer.Default);

        public BodySession(ControlFlowGraph root, ISymbol owner, ApiModel api, CancellationToken cancellationToken)
        {
            Api = api;
            CancellationToken = cancellationToken;
            _bodies.Add(new Body(root, owner as IMethodSymbol));
            RegisterLocalFunctions(root);
        }

        public ApiModel Api { get; }

        public CancellationToken CancellationToken { get; }

        /// <summary>
        /// Every body of the code block, outermost first, with its model. All models are built before this returns,
        /// so what one body does with another (hands it to another thread) is known for each.
        /// </summary>
        public List<(Body Body, BodyModel Model)> Bodies()
        {
            var result = new List<(Body, BodyModel)>();
            for (int i = 0; i < _bodies.Count; i++)
            {
                Body body = _bodies[i];
                BodyModel model = ModelOf(body.Graph);
                foreach (IFlowAnonymousFunctionOperation anonymousFunction in model.AnonymousFunctions)
                {
                    ControlFlowGraph graph = body.Graph.GetAnonymousFunctionControlFlowGraph(anonymousFunction, CancellationToken);
                    _bodies.Add(new Body(graph, anonymousFunction.Symbol));
                    RegisterLocalFunctions(graph);
                }

                foreach (Handoff handoff in model.Handoffs)
                {
                    IMethodSymbol? handed = handoff.Function?.Symbol ?? handoff.Method;
                    if (handed is not null && !_handedOff.ContainsKey(handed))
                    {
                        _handedOff.Add(handed, handoff);
                    }
                }

                result.Add((body, model));
            }

            return result;
        }

        /// <summary>The hand-off that runs <paramref name="body"/> on another thread, if one in this code block does.</summary>
        public Handoff? HandoffOf(Body body) =>
            body.Symbol is { } symbol && _handedOff.TryGetValue(symbol, out Handoff? handoff) ? handoff : null;

        /// <summary>Hand-offs of ordinary methods (method groups that are not local functions).</summary>
        public IEnumerable<Handoff> MethodGroupHandoffs()
        {
            foreach (Handoff handoff in _handedOff.Values)
            {
                if (handoff.Method is { MethodKind: not MethodKind.LocalFunction })
                {
                    yield return handoff;
                }
            }
        }

        /// <summary>A local function may signal when its body, or a local function it calls, does.</summary>
        public bool LocalFunctionMaySignal(IMethodSymbol localFunction)
        {
            localFunction = (IMethodSymbol)localFunction.OriginalDefinition;
            if (_maySignal.TryGetValue(localFunction, out bool known))
            {
                return known;
            }

            if (!_localFunctionGraphs.TryGetValue(localFunction, out ControlFlowGraph? graph))
            {
                return false;
            }

            // Recursion is cut off by assuming "no" while the function is being summarised.
            _maySignal[localFunction] = false;
            bool maySignal = ModelOf(graph).Signals.Count > 0;
            _maySignal[localFunction] = maySignal;
            return maySignal;
        }

        private BodyModel ModelOf(ControlFlowGraph graph)
        {
            if (!_models.TryGetValue(graph, out BodyModel? model))
            {
                model = BodyModel.Build(graph, this);
                _models[graph] = model;
            }

            return model;
        }

        private void RegisterLocalFunctions(ControlFlowGraph graph)
        {
            var regions = new Stack<ControlFlowRegion>();
            regions.Push(graph.Root);
            while (regions.Count > 0)
            {
                ControlFlowRegion region = regions.Pop();
                foreach (IMethodSymbol localFunction in region.LocalFunctions)
                {
                    ControlFlowGraph localGraph = graph.GetLocalFunctionControlFlowGraph(localFunction, CancellationToken);
                    _localFunctionGraphs[localFunction] = localGraph;
                    _bodies.Add(new Body(localGraph, localFunction));
                    RegisterLocalFunctions(localGraph);
                }

                foreach (ControlFlowRegion nested in region.NestedRegions)
                {
                    regions.Push(nested);
                }
            }
        }

        /// <summary>A body with its own graph: a member, lambda, anonymous method or local function.</summary>
        internal readonly struct Body
        {
            public Body(ControlFlowGraph graph, IMethodSymbol? symbol)
            {
                Graph = graph;
                Symbol = symbol;
            }

            public ControlFlowGraph Graph { get; }

            public IMethodSymbol? Symbol { get; }
        }
    }
}
