using System.Collections.Generic;
using System.Linq;
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
        private readonly Dictionary<ControlFlowGraph, IMethodSymbol?> _owners = new Dictionary<ControlFlowGraph, IMethodSymbol?>();
        private readonly Dictionary<IMethodSymbol, bool> _maySignal = new Dictionary<IMethodSymbol, bool>(SymbolEqualityComparer.Default);

        // Local functions whose may-signal question is still open (a call cycle reaches them again), and those of
        // them whose provisional "no" some model has used. When such a function turns out to signal, the models
        // built on the "no" are stale.
        private readonly HashSet<IMethodSymbol> _openQuestions = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
        private readonly HashSet<IMethodSymbol> _provisionalNoUsed = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
        private bool _stale;
        private int _registeredBodies;
        private readonly List<Body> _bodies = new List<Body>();
        private readonly Dictionary<IMethodSymbol, IMethodSymbol> _parents = new Dictionary<IMethodSymbol, IMethodSymbol>(SymbolEqualityComparer.Default);
        private readonly Dictionary<IMethodSymbol, List<Handoff>> _handedOff = new Dictionary<IMethodSymbol, List<Handoff>>(SymbolEqualityComparer.Default);

        public BodySession(ControlFlowGraph root, SemanticModel semanticModel, ISymbol owner, ApiModel api, ApiOptions options, MethodSummaries summaries, int depth, CancellationToken cancellationToken)
        {
            SemanticModel = semanticModel;
            Api = api;
            Options = options;
            Summaries = summaries;
            Depth = depth;
            CancellationToken = cancellationToken;
            _bodies.Add(new Body(root, owner as IMethodSymbol, parent: null));
            _owners[root] = owner as IMethodSymbol;
            RegisterLocalFunctions(root, owner as IMethodSymbol);
            _registeredBodies = _bodies.Count;
        }

        public ApiModel Api { get; }

        /// <summary>The semantic model of the code block's tree (operations in a control-flow graph have none of their own).</summary>
        public SemanticModel SemanticModel { get; }

        public ApiOptions Options { get; }

        public MethodSummaries Summaries { get; }

        /// <summary>How many calls deep summaries of called methods may look from here (0: calls are opaque).</summary>
        public int Depth { get; }

        /// <summary>
        /// What a call of an ordinary method or constructor does, from its summary. An interface call on a receiver
        /// whose class or struct is known (a <c>using</c> scope's <c>Dispose</c>) is resolved to the implementation.
        /// </summary>
        public MethodSummary SummaryOf(IMethodSymbol target, IOperation? instance)
        {
            if (Depth <= 0 || target.MethodKind == MethodKind.LocalFunction)
            {
                return MethodSummary.Opaque;
            }

            target = OperationValues.ImplementationOnReceiver(target, instance);

            // this.Dispose(true) in the dispose pattern: the virtual Dispose(bool) called on this object runs this type's
            // body (unless a derived class overrides it, which the analysis cannot see). Other virtual calls stay opaque.
            bool disposePattern = instance is IInstanceReferenceOperation && target.Name == "Dispose";
            return Summaries.Get(target, Depth, Options, CancellationToken, allowVirtual: disposePattern);
        }

        /// <summary>
        /// A value of this type ends an impersonation when disposed or undone (SPEC §2 hand-offs): an impersonation
        /// context, or a class or struct of the compilation whose <c>Dispose()</c> reverts.
        /// </summary>
        public bool EndsImpersonation(ITypeSymbol? type)
        {
            if (type is not INamedTypeSymbol { TypeKind: TypeKind.Class or TypeKind.Struct } named)
            {
                return false;
            }

            return Api.IsImpersonationContext(named) || IsScopeType(named);
        }

        /// <summary>A type of the compilation whose parameterless <c>Dispose()</c> reverts (a <c>using</c> scope).</summary>
        public bool IsScopeType(INamedTypeSymbol type)
        {
            if (Depth <= 0 || type.DeclaringSyntaxReferences.IsEmpty)
            {
                return false;
            }

            foreach (ISymbol member in type.GetMembers("Dispose"))
            {
                if (member is IMethodSymbol { Parameters.IsEmpty: true, IsStatic: false } dispose
                    && SummaryOf(dispose, instance: null).Has(SummaryEffects.Reverts))
                {
                    return true;
                }
            }

            // void IDisposable.Dispose() { … }: an explicit implementation has another name.
            foreach (INamedTypeSymbol implemented in type.AllInterfaces)
            {
                if (implemented.SpecialType == SpecialType.System_IDisposable
                    && implemented.GetMembers("Dispose").FirstOrDefault() is { } interfaceDispose
                    && type.FindImplementationForInterfaceMember(interfaceDispose) is IMethodSymbol { Name: not "Dispose" } explicitDispose
                    && SummaryOf(explicitDispose, instance: null).Has(SummaryEffects.Reverts))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// A field that its type fills only with the thread's token as it was (<c>OpenThreadToken(…, out _saved)</c>,
        /// <c>WindowsIdentity.GetCurrent().Token</c>) or clears: putting it back on the thread restores an earlier identity.
        /// </summary>
        public bool IsSavedTokenField(IFieldSymbol field) => Summaries.IsSavedTokenField(field, CancellationToken);

        /// <summary>What a call does, by the table, its arguments and the options in force for this code block.</summary>
        public ApiCall Classify(IInvocationOperation invocation) => Api.Classify(invocation, Options);

        public CancellationToken CancellationToken { get; }

        /// <summary>
        /// Every body of the code block, outermost first, with its model. All models are built before this returns,
        /// so what one body does with another (hands it to another thread) is known for each.
        /// </summary>
        public List<(Body Body, BodyModel Model)> Bodies()
        {
            while (true)
            {
                List<(Body, BodyModel)> bodies = BuildBodies();
                if (!StartOverIfStale())
                {
                    return bodies;
                }

                _bodies.RemoveRange(_registeredBodies, _bodies.Count - _registeredBodies); // lambdas are found again
                _parents.Clear();
                _handedOff.Clear();
            }
        }

        private List<(Body Body, BodyModel Model)> BuildBodies()
        {
            var result = new List<(Body, BodyModel)>();
            for (int i = 0; i < _bodies.Count; i++)
            {
                Body body = _bodies[i];
                if (body.Symbol is not null && body.Parent is not null && !_parents.ContainsKey(body.Symbol))
                {
                    _parents.Add(body.Symbol, body.Parent);
                }

                BodyModel model = ModelOf(body.Graph);
                foreach (IFlowAnonymousFunctionOperation anonymousFunction in model.AnonymousFunctions)
                {
                    if (!PreCheck.MayMatter(anonymousFunction.Syntax, Api, Options, Summaries, CancellationToken))
                    {
                        // Nothing in it can impersonate, revert, signal or hand a method to another thread (nor in the
                        // lambdas and local functions inside it): no rule can report on it, so it gets no graph.
                        continue;
                    }

                    ControlFlowGraph graph = body.Graph.GetAnonymousFunctionControlFlowGraph(anonymousFunction, CancellationToken);
                    _bodies.Add(new Body(graph, anonymousFunction.Symbol, body.Symbol));
                    _owners[graph] = anonymousFunction.Symbol;
                    RegisterLocalFunctions(graph, anonymousFunction.Symbol);
                }

                foreach (Handoff handoff in model.Handoffs)
                {
                    IMethodSymbol? handed = handoff.Function?.Symbol ?? handoff.Method;
                    if (handed is not null)
                    {
                        if (!_handedOff.TryGetValue(handed, out List<Handoff>? list))
                        {
                            _handedOff[handed] = list = new List<Handoff>();
                        }

                        list.Add(handoff);
                    }
                }

                result.Add((body, model));
            }

            return result;
        }

        /// <summary>The member's own body and its model, without building those of its lambdas (for summaries).</summary>
        public (Body Body, BodyModel Model) RootBody()
        {
            while (true)
            {
                BodyModel model = ModelOf(_bodies[0].Graph);
                if (!StartOverIfStale())
                {
                    return (_bodies[0], model);
                }
            }
        }

        /// <summary>
        /// After models were built on a provisional "no" that turned out "yes": forget the models and every "no"
        /// (each was worked out on what may have been such a "no"), and keep the "yes" answers, which stay true.
        /// The answers only ever turn from "no" to "yes", so starting over ends after at most one round per local
        /// function. Code without a call cycle among local functions never starts over.
        /// </summary>
        private bool StartOverIfStale()
        {
            if (!_stale)
            {
                return false;
            }

            CancellationToken.ThrowIfCancellationRequested();
            _stale = false;
            _models.Clear();
            _provisionalNoUsed.Clear();
            var answeredNo = new List<IMethodSymbol>();
            foreach (KeyValuePair<IMethodSymbol, bool> answer in _maySignal)
            {
                if (!answer.Value)
                {
                    answeredNo.Add(answer.Key);
                }
            }

            foreach (IMethodSymbol function in answeredNo)
            {
                _maySignal.Remove(function);
            }

            return true;
        }

        /// <summary>The hand-off that runs <paramref name="body"/> on another thread, if one in this code block does.</summary>
        public Handoff? HandoffOf(Body body)
        {
            // A lambda or local function inside a handed-over body runs on that body's thread too.
            for (IMethodSymbol? symbol = body.Symbol; symbol is not null; symbol = _parents.TryGetValue(symbol, out IMethodSymbol? parent) ? parent : null)
            {
                if (_handedOff.TryGetValue(symbol, out List<Handoff>? handoffs))
                {
                    return handoffs[0];
                }
            }

            return null;
        }

        /// <summary>Hand-offs of ordinary methods (method groups that are not local functions).</summary>
        public IEnumerable<Handoff> MethodGroupHandoffs()
        {
            foreach (List<Handoff> handoffs in _handedOff.Values)
            {
                foreach (Handoff handoff in handoffs)
                {
                    if (handoff.Method is { MethodKind: not MethodKind.LocalFunction })
                    {
                        yield return handoff;
                    }
                }
            }
        }

        /// <summary>A local function may signal when its body, or a local function it calls, does.</summary>
        public bool LocalFunctionMaySignal(IMethodSymbol localFunction)
        {
            localFunction = (IMethodSymbol)localFunction.OriginalDefinition;
            if (_maySignal.TryGetValue(localFunction, out bool known))
            {
                if (!known && _openQuestions.Contains(localFunction))
                {
                    _provisionalNoUsed.Add(localFunction);
                }

                return known;
            }

            if (!_localFunctionGraphs.TryGetValue(localFunction, out ControlFlowGraph? graph))
            {
                return false;
            }

            // Recursion is cut off by assuming "no" while the question is open; a model that used that "no" is
            // built again if the answer is "yes" (see StartOverIfStale).
            _maySignal[localFunction] = false;
            _openQuestions.Add(localFunction);
            bool maySignal = ModelOf(graph).Signals.Count > 0;
            _openQuestions.Remove(localFunction);
            _maySignal[localFunction] = maySignal;
            if (maySignal && _provisionalNoUsed.Contains(localFunction))
            {
                _stale = true;
            }

            return maySignal;
        }

        private BodyModel ModelOf(ControlFlowGraph graph)
        {
            if (!_models.TryGetValue(graph, out BodyModel? model))
            {
                model = BodyModel.Build(graph, _owners.TryGetValue(graph, out IMethodSymbol? owner) ? owner : null, this);
                _models[graph] = model;
            }

            return model;
        }

        private void RegisterLocalFunctions(ControlFlowGraph graph, IMethodSymbol? parent)
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
                    _owners[localGraph] = localFunction;
                    _bodies.Add(new Body(localGraph, localFunction, parent));
                    RegisterLocalFunctions(localGraph, localFunction);
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
            public Body(ControlFlowGraph graph, IMethodSymbol? symbol, IMethodSymbol? parent)
            {
                Graph = graph;
                Symbol = symbol;
                Parent = parent;
            }

            /// <summary>The body this one is declared in (null for the member itself).</summary>
            public IMethodSymbol? Parent { get; }

            public ControlFlowGraph Graph { get; }

            public IMethodSymbol? Symbol { get; }
        }
    }
}
