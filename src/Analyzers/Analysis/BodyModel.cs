using System.Collections.Generic;
using ComImpersonation.Analyzers.Api;
using ComImpersonation.Analyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ComImpersonation.Analyzers.Analysis
{
    internal enum EffectKind : byte
    {
        Impersonate,
        Revert,
        Signal,
        Await,

        /// <summary>An operation that may throw: an exception here leaves with the state just before it.</summary>
        ThrowPoint,

        /// <summary><c>Key</c> now holds the result of impersonation site <c>Index</c>.</summary>
        BindResult,

        /// <summary><c>Key</c> now holds whatever <c>SourceKey</c> holds.</summary>
        CopyResult,

        /// <summary><c>Key</c> now holds something that is no impersonation's result.</summary>
        ClearResult,

        /// <summary>The bool <c>Key</c> is set to <c>true</c>: it now says that the active impersonations happened.</summary>
        SetFlag,
    }

    /// <summary>One thing a block does that the analysis cares about, in evaluation order.</summary>
    internal readonly struct Effect
    {
        public Effect(EffectKind kind, int index = -1, object? key = null, object? sourceKey = null, IOperation? operation = null, bool mayThrow = false)
        {
            Kind = kind;
            MayThrow = mayThrow || kind == EffectKind.ThrowPoint || kind == EffectKind.Await;
            Index = index;
            Key = key;
            SourceKey = sourceKey;
            Operation = operation;
        }

        public EffectKind Kind { get; }

        /// <summary>The impersonation or signal site index, for those kinds.</summary>
        public int Index { get; }

        public object? Key { get; }

        public object? SourceKey { get; }

        public IOperation? Operation { get; }

        /// <summary>The operation may throw before it takes effect (a throwing projection, any ordinary call).</summary>
        public bool MayThrow { get; }
    }

    /// <summary>A call that impersonates the client.</summary>
    internal sealed class ImpersonationSite
    {
        public ImpersonationSite(int index, IOperation operation, ApiCall api, BasicBlock? block = null, int statementIndex = -1)
        {
            Index = index;
            Operation = operation;
            Api = api;
            Block = block;
            StatementIndex = statementIndex;
        }

        public int Index { get; }

        /// <summary>The call (or, for a scope, the object creation) that impersonates.</summary>
        public IOperation Operation { get; }

        public ApiCall Api { get; }

        /// <summary>The block whose statement (or branch value) holds the call, when it comes from a body's graph.</summary>
        public BasicBlock? Block { get; }

        /// <summary>That statement's index in <see cref="BasicBlock.Operations"/>; the operation count for the branch value.</summary>
        public int StatementIndex { get; }
    }

    /// <summary>A call that completes the asynchronous call: <c>Signal</c>, or a local function that may call it.</summary>
    internal sealed class SignalSite
    {
        public SignalSite(int index, IOperation operation, string displayName)
        {
            Index = index;
            Operation = operation;
            DisplayName = displayName;
        }

        public int Index { get; }

        public IOperation Operation { get; }

        public string DisplayName { get; }
    }

    /// <summary>A delegate handed to an API that runs it on another thread (<c>Task.Run(() =&gt; …)</c>, <c>new Thread(Work)</c>).</summary>
    internal sealed class Handoff
    {
        public Handoff(IOperation call, IMethodSymbol api, IFlowAnonymousFunctionOperation? function, IMethodSymbol? method, SyntaxNode argument)
        {
            Call = call;
            Api = api;
            Function = function;
            Method = method;
            Argument = argument;
        }

        /// <summary>The invocation or object creation that hands the delegate over.</summary>
        public IOperation Call { get; }

        public IMethodSymbol Api { get; }

        /// <summary>The lambda or anonymous method handed over, if it is one.</summary>
        public IFlowAnonymousFunctionOperation? Function { get; }

        /// <summary>The method group's method (a local function or an ordinary method), if it is one.</summary>
        public IMethodSymbol? Method { get; }

        /// <summary>The argument (or, in a params array, the element) that hands the delegate over.</summary>
        public SyntaxNode Argument { get; }

        /// <summary>A short name for messages: <c>Task.Run</c>, <c>new Thread</c>.</summary>
        public string ApiDisplayName => Api.MethodKind == MethodKind.Constructor
            ? "new " + Api.ContainingType.Name
            : Api.ContainingType.Name + "." + Api.Name;
    }

    /// <summary>A block's branch condition that tests an impersonation result.</summary>
    internal readonly struct ResultTest
    {
        public ResultTest(int site, object? key, bool failureWhenTrue, ResultTestKind kind = ResultTestKind.Other)
        {
            Site = site;
            Key = key;
            FailureWhenTrue = failureWhenTrue;
            Kind = kind;
        }

        /// <summary>
        /// A comparison with zero: <see cref="FailureWhenTrue"/> reads it as an HRESULT or status, for which zero is
        /// success; for a BOOL declared as <c>int</c> zero is failure, so such results read it the other way.
        /// </summary>
        public ResultTestKind Kind { get; }

        /// <summary><see cref="Site"/> for a test of the thread itself (<c>IsImpersonating()</c>).</summary>
        public const int AllSites = -2;

        /// <summary>The impersonation tested directly (<c>if (CoImpersonateClient() &lt; 0)</c>), or -1.</summary>
        public int Site { get; }

        /// <summary>The local or capture tested (<c>if (hr &lt; 0)</c>), when <see cref="Site"/> is -1.</summary>
        public object? Key { get; }

        public bool FailureWhenTrue { get; }
    }

    /// <summary>What kind of test a <see cref="ResultTest"/> is, where the result's shape changes its meaning.</summary>
    internal enum ResultTestKind : byte
    {
        Other,

        /// <summary><c>r == 0</c>, <c>r != 0</c>, <c>r is 0</c>: the opposite sense for a BOOL declared as <c>int</c>.</summary>
        ZeroEquality,

        /// <summary><c>r &lt; 0</c>, <c>r &gt;= 0</c>: says nothing about a BOOL declared as <c>int</c>.</summary>
        ZeroOrder,
    }

    /// <summary>
    /// A call of a method that runs a delegate impersonated (<c>WindowsIdentity.RunImpersonated</c>), given an async
    /// delegate, whose Task is dropped.
    /// </summary>
    internal sealed class DroppedImpersonatedRun
    {
        public DroppedImpersonatedRun(IInvocationOperation call, ImpersonatedRunner runner)
        {
            Call = call;
            Runner = runner;
        }

        public IInvocationOperation Call { get; }

        public ImpersonatedRunner Runner { get; }
    }

    /// <summary>
    /// One body's control-flow graph with what each block does, extracted once so the fixed point never walks
    /// operation trees. Blocks with nothing of interest have no effects and cost nothing to transfer.
    /// </summary>
    internal sealed class BodyModel
    {
        private readonly Effect[]?[] _effects;
        private readonly ResultTest?[] _tests;
        private readonly HashSet<object> _trackedKeys;
        private ResultLiveness? _liveness;

        private BodyModel(ControlFlowGraph graph, Effect[]?[] effects, ResultTest?[] tests, HashSet<object> trackedKeys, List<ImpersonationSite> impersonations, List<SignalSite> signals, List<IFlowAnonymousFunctionOperation> anonymousFunctions, List<Handoff> handoffs, List<DroppedImpersonatedRun> droppedRuns, bool hasRevert, bool hasAwait)
        {
            Graph = graph;
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
            HasRevert = hasRevert;
            HasAwait = hasAwait;
        }

        public ControlFlowGraph Graph { get; }

        public IReadOnlyList<ImpersonationSite> Impersonations { get; }

        public IReadOnlyList<SignalSite> Signals { get; }

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

        public Effect[]? EffectsOf(BasicBlock block) => _effects[block.Ordinal];

        public ResultTest? TestOf(BasicBlock block) => _tests[block.Ordinal];

        /// <summary>
        /// True when a binding of <paramref name="key"/> may still be read from the start of <paramref name="block"/> on.
        /// The liveness of the body's keys is worked out on the first question (most bodies never ask).
        /// </summary>
        public bool IsLiveOnEntry(BasicBlock block, object key) =>
            (_liveness ??= ResultLiveness.Compute(Graph, _effects, _tests, _trackedKeys)).IsLiveOnEntry(block, key);

        public static BodyModel Build(ControlFlowGraph graph, BodySession session)
        {
            var builder = new Builder(graph, session);
            return builder.Build();
        }

        private sealed class Builder
        {
            private readonly ControlFlowGraph _graph;
            private readonly BodySession _session;
            private readonly List<ImpersonationSite> _impersonations = new List<ImpersonationSite>();
            private readonly List<SignalSite> _signals = new List<SignalSite>();
            private readonly List<IFlowAnonymousFunctionOperation> _anonymousFunctions = new List<IFlowAnonymousFunctionOperation>();
            private readonly List<Handoff> _handoffs = new List<Handoff>();
            private readonly List<DroppedImpersonatedRun> _droppedRuns = new List<DroppedImpersonatedRun>();
            private readonly Dictionary<ILocalSymbol, IOperation> _delegateLocals = new Dictionary<ILocalSymbol, IOperation>(SymbolEqualityComparer.Default);
            // The effects of every block, block after block (a block's effects are added while it is walked):
            // one list for the body instead of one per block.
            private readonly List<Effect> _all = new List<Effect>();
            private readonly int[] _start;
            private readonly int[] _end;
            private readonly Stack<(IOperation Operation, bool Expanded)> _stack = new Stack<(IOperation, bool)>();
            private Dictionary<IOperation, int>? _siteIndex;
            private int _indexedSites;
            private bool _hasRevert;
            private bool _hasAwait;
            private int _statementIndex;

            public Builder(ControlFlowGraph graph, BodySession session)
            {
                _graph = graph;
                _session = session;
                _start = new int[graph.Blocks.Length];
                _end = new int[graph.Blocks.Length];
            }

            public BodyModel Build()
            {
                foreach (BasicBlock block in _graph.Blocks)
                {
                    _session.CancellationToken.ThrowIfCancellationRequested();
                    _start[block.Ordinal] = _all.Count;
                    for (int i = 0; i < block.Operations.Length; i++)
                    {
                        _statementIndex = i;
                        Walk(block, block.Operations[i]);
                    }

                    if (block.BranchValue is { } branchValue)
                    {
                        _statementIndex = block.Operations.Length;
                        Walk(block, branchValue);
                    }

                    _end[block.Ordinal] = _all.Count;
                }

                HashSet<object> tracked = TrackedKeys();
                int count = _graph.Blocks.Length;
                var effects = new Effect[]?[count];
                var tests = new ResultTest?[count];
                for (int ordinal = 0; ordinal < count; ordinal++)
                {
                    int keep = 0;
                    for (int i = _start[ordinal]; i < _end[ordinal]; i++)
                    {
                        if (_all[i].Key is not { } key || tracked.Contains(key))
                        {
                            keep++;
                        }
                    }

                    if (keep > 0)
                    {
                        var kept = new Effect[keep];
                        int next = 0;
                        for (int i = _start[ordinal]; i < _end[ordinal]; i++)
                        {
                            if (_all[i].Key is not { } key || tracked.Contains(key))
                            {
                                kept[next++] = _all[i];
                            }
                        }

                        effects[ordinal] = kept;
                    }

                    tests[ordinal] = TestFor(_graph.Blocks[ordinal], tracked);
                }

                return new BodyModel(_graph, effects, tests, tracked, _impersonations, _signals, _anonymousFunctions, _handoffs, _droppedRuns, _hasRevert, _hasAwait);
            }

            // Post-order with an explicit stack: operands are evaluated before the operation that uses them, and
            // deeply nested expressions cannot overflow the stack.
            private void Walk(BasicBlock block, IOperation root)
            {
                _stack.Push((root, false));
                while (_stack.Count > 0)
                {
                    (IOperation operation, bool expanded) = _stack.Pop();
                    if (expanded)
                    {
                        Visit(block, operation);
                        continue;
                    }

                    if (!IsOfInterest(operation.Kind))
                    {
                        // Nothing to record when it completes: only its operands are walked.
                        PushChildren(operation);
                        continue;
                    }

                    _stack.Push((operation, true));
                    if (operation.Kind != OperationKind.FlowAnonymousFunction)
                    {
                        PushChildren(operation); // a lambda's body runs only when (and where) the delegate is invoked
                    }
                }
            }

            private void PushChildren(IOperation operation)
            {
                foreach (IOperation child in operation.ChildOperations.Reverse())
                {
                    _stack.Push((child, false));
                }
            }

            /// <summary>The kinds <see cref="Visit"/> acts on; every other operation is only walked through.</summary>
            private static bool IsOfInterest(OperationKind kind)
            {
                switch (kind)
                {
                    case OperationKind.Invocation:
                    case OperationKind.FlowAnonymousFunction:
                    case OperationKind.Await:
                    case OperationKind.ObjectCreation:
                    case OperationKind.Throw:
                    case OperationKind.SimpleAssignment:
                    case OperationKind.FlowCapture:
                    case OperationKind.IsPattern:
                    case OperationKind.CompoundAssignment:
                    case OperationKind.Increment:
                    case OperationKind.Decrement:
                    case OperationKind.Argument:
                        return true;
                    default:
                        return false;
                }
            }

            private void Visit(BasicBlock block, IOperation operation)
            {
                switch (operation)
                {
                    case IInvocationOperation invocation:
                        VisitInvocation(block, invocation);
                        break;

                    case IFlowAnonymousFunctionOperation anonymousFunction:
                        _anonymousFunctions.Add(anonymousFunction);
                        break;

                    case IAwaitOperation:
                        _hasAwait = true;
                        Add(block, new Effect(EffectKind.Await, operation: operation));
                        break;

                    case IObjectCreationOperation creation:
                        if (creation.Constructor is { } constructor)
                        {
                            if (_session.Api.IsThreadHandoff(constructor))
                            {
                                CollectHandoffs(creation, creation.Arguments, constructor);
                            }

                            ApplySummary(block, creation, _session.SummaryOf(constructor, instance: null), "new " + constructor.ContainingType.Name);
                        }
                        else
                        {
                            AddThrowPoint(block);
                        }

                        break;

                    case IThrowOperation:
                        AddThrowPoint(block);
                        break;

                    case ISimpleAssignmentOperation { Value.ConstantValue: { HasValue: true, Value: true } } flag
                        when flag.Target.Type?.SpecialType == SpecialType.System_Boolean && KeyOf(flag.Target) is { } flagKey:
                        Add(block, new Effect(EffectKind.SetFlag, key: flagKey));
                        break;

                    case ISimpleAssignmentOperation assignment when KeyOf(assignment.Target) is { } key:
                        if (assignment.Target is ILocalReferenceOperation delegateLocal
                            && DelegateTarget(assignment.Value) is IFlowAnonymousFunctionOperation or IMethodReferenceOperation)
                        {
                            _delegateLocals[delegateLocal.Local] = DelegateTarget(assignment.Value);
                        }

                        Add(block, ResultFlow(key, assignment.Value));
                        break;

                    case IFlowCaptureOperation capture:
                        Add(block, ResultFlow(capture.Id, capture.Value));
                        break;

                    // if (CoImpersonateClient() is var hr && hr < 0) …: the pattern's variable now holds the result.
                    case IIsPatternOperation { Pattern: IDeclarationPatternOperation { DeclaredSymbol: ILocalSymbol declared } } pattern:
                        Add(block, ResultFlow(declared, pattern.Value));
                        break;

                    case ICompoundAssignmentOperation compound when KeyOf(compound.Target) is { } key:
                        Add(block, new Effect(EffectKind.ClearResult, key: key));
                        break;

                    case IIncrementOrDecrementOperation increment when KeyOf(increment.Target) is { } key:
                        Add(block, new Effect(EffectKind.ClearResult, key: key));
                        break;

                    case IArgumentOperation { Parameter.RefKind: RefKind.Out or RefKind.Ref } argument when KeyOf(argument.Value) is { } key:
                        Add(block, new Effect(EffectKind.ClearResult, key: key));
                        break;
                }
            }

            private void VisitInvocation(BasicBlock block, IInvocationOperation invocation)
            {
                IMethodSymbol target = invocation.TargetMethod;
                ApiCall call = _session.Classify(invocation);
                bool throws = call.Shape == ResultShape.Throws;
                switch (call.Operation)
                {
                    case ApiOperation.Impersonate:
                        AddImpersonation(block, invocation, call, throws);
                        return;

                    case ApiOperation.Revert:
                        // A failing revert is not modelled: the thread is taken to be reverted either way.
                        _hasRevert = true;
                        Add(block, new Effect(EffectKind.Revert, operation: invocation));
                        return;

                    case ApiOperation.Signal:
                        AddSignal(block, invocation, call.DisplayName, throws);
                        return;
                }

                if (_session.Api.IsThreadHandoff(target))
                {
                    CollectHandoffs(invocation, invocation.Arguments, target);
                }

                if (_session.Api.ImpersonatedRunnerOf(target) is { } runner && RunsAsyncDelegate(invocation) && OperationValues.IsDiscarded(invocation))
                {
                    _droppedRuns.Add(new DroppedImpersonatedRun(invocation, runner));
                }

                if (target.MethodKind == MethodKind.LocalFunction && _session.LocalFunctionMaySignal(target))
                {
                    AddSignal(block, invocation, target.Name, mayThrow: true);
                }
                else if (!ApiModel.IsThrowOnFailure(target) && !_session.Api.IsImpersonationQuery(target))
                {
                    ApplySummary(block, invocation, _session.SummaryOf(target, invocation.Instance), target.Name);
                }
            }

            /// <summary>A call of a summarised method: its effects, in the order a caller observes them.</summary>
            private void ApplySummary(BasicBlock block, IOperation call, MethodSummary summary, string displayName)
            {
                if (!summary.Has(SummaryEffects.Reverts))
                {
                    AddThrowPoint(block); // like a direct revert, a revert wrapper is taken to revert
                }

                if (summary.Has(SummaryEffects.ClientIdentity))
                {
                    // Impersonates and reverts inside: an impersonation for COMIMP001/005/006, never left active.
                    AddImpersonation(block, call, new ApiCall(ApiOperation.Impersonate, ResultShape.Other, displayName, summary.Family, summary.Kind), mayThrow: false);
                    _hasRevert = true;
                    Add(block, new Effect(EffectKind.Revert, operation: call));
                }

                if (summary.Has(SummaryEffects.Impersonates))
                {
                    AddImpersonation(block, call, new ApiCall(ApiOperation.Impersonate, summary.Shape, displayName, summary.Family, summary.Kind), mayThrow: false);
                }

                if (summary.Has(SummaryEffects.Reverts))
                {
                    _hasRevert = true;
                    Add(block, new Effect(EffectKind.Revert, operation: call));
                }

                if (summary.Has(SummaryEffects.MaySignal))
                {
                    AddSignal(block, call, displayName, mayThrow: false);
                }
            }

            /// <summary>
            /// The impersonation site whose call <paramref name="operation"/> is, if any. A body has few sites, so they
            /// are searched by reference: hashing every assigned or tested operation would cost more.
            /// </summary>
            private int? SiteOf(IOperation operation)
            {
                if (operation.Kind is not (OperationKind.Invocation or OperationKind.ObjectCreation))
                {
                    return null;
                }

                if (_impersonations.Count > 16)
                {
                    // A long method: index the sites (and the ones added since) rather than search them all.
                    _siteIndex ??= new Dictionary<IOperation, int>();
                    for (; _indexedSites < _impersonations.Count; _indexedSites++)
                    {
                        _siteIndex[_impersonations[_indexedSites].Operation] = _indexedSites;
                    }

                    return _siteIndex.TryGetValue(operation, out int indexed) ? indexed : null;
                }

                for (int i = _impersonations.Count - 1; i >= 0; i--)
                {
                    if (ReferenceEquals(_impersonations[i].Operation, operation))
                    {
                        return i;
                    }
                }

                return null;
            }

            private void AddImpersonation(BasicBlock block, IOperation call, ApiCall api, bool mayThrow)
            {
                int site = _impersonations.Count;
                _impersonations.Add(new ImpersonationSite(site, call, api, block, _statementIndex));
                Add(block, new Effect(EffectKind.Impersonate, site, operation: call, mayThrow: mayThrow));
            }

            private void AddSignal(BasicBlock block, IOperation invocation, string displayName, bool mayThrow)
            {
                int index = _signals.Count;
                _signals.Add(new SignalSite(index, invocation, displayName));
                Add(block, new Effect(EffectKind.Signal, index, operation: invocation, mayThrow: mayThrow));
            }

            private void AddThrowPoint(BasicBlock block)
            {
                // Consecutive throw points see the same state: one is enough.
                if (_all.Count == _start[block.Ordinal] || _all[_all.Count - 1].Kind != EffectKind.ThrowPoint)
                {
                    Add(block, new Effect(EffectKind.ThrowPoint));
                }
            }

            private void CollectHandoffs(IOperation call, System.Collections.Immutable.ImmutableArray<IArgumentOperation> arguments, IMethodSymbol api)
            {
                foreach (IArgumentOperation argument in arguments)
                {
                    IOperation value = ResultChecks.Unwrap(argument.Value);
                    if (value is IArrayCreationOperation { Initializer: { } initializer })
                    {
                        // params Action[] (Parallel.Invoke): each element is handed over.
                        foreach (IOperation element in initializer.ElementValues)
                        {
                            CollectHandoff(call, api, element.Syntax, element);
                        }
                    }
                    else
                    {
                        CollectHandoff(call, api, argument.Syntax, value);
                    }
                }
            }

            private void CollectHandoff(IOperation call, IMethodSymbol api, SyntaxNode argument, IOperation value)
            {
                value = DelegateTarget(value);
                if (value is ILocalReferenceOperation local && _delegateLocals.TryGetValue(local.Local, out IOperation? held))
                {
                    value = held; // Action work = () => …; Task.Run(work);
                }

                switch (value)
                {
                    case IFlowAnonymousFunctionOperation function:
                        _handoffs.Add(new Handoff(call, api, function, method: null, argument));
                        break;
                    case IMethodReferenceOperation reference:
                        _handoffs.Add(new Handoff(call, api, function: null, reference.Method, argument));
                        break;
                }
            }

            /// <summary>An argument is an async lambda, anonymous method or method group of an async method.</summary>
            private static bool RunsAsyncDelegate(IInvocationOperation invocation)
            {
                foreach (IArgumentOperation argument in invocation.Arguments)
                {
                    switch (DelegateTarget(argument.Value))
                    {
                        case IFlowAnonymousFunctionOperation { Symbol.IsAsync: true }:
                        case IMethodReferenceOperation { Method.IsAsync: true }:
                            return true;
                    }
                }

                return false;
            }

            private static IOperation DelegateTarget(IOperation value)
            {
                value = ResultChecks.Unwrap(value);
                return value is IDelegateCreationOperation creation ? ResultChecks.Unwrap(creation.Target) : value;
            }

            private Effect ResultFlow(object key, IOperation value)
            {
                value = ResultChecks.Unwrap(value);
                if (SiteOf(value) is int site)
                {
                    return new Effect(EffectKind.BindResult, site, key);
                }

                if (KeyOf(value) is { } sourceKey)
                {
                    return new Effect(EffectKind.CopyResult, key: key, sourceKey: sourceKey);
                }

                return new Effect(EffectKind.ClearResult, key: key);
            }

            // Effects are added only to the block being walked, which is the last one started.
            private void Add(BasicBlock block, Effect effect)
            {
                System.Diagnostics.Debug.Assert(_start[block.Ordinal] <= _all.Count, "effects are added to the block being walked");
                _all.Add(effect);
            }

            /// <summary>The keys that can ever hold an impersonation result; effects on other keys are dropped.</summary>
            private HashSet<object> TrackedKeys()
            {
                var tracked = new HashSet<object>();
                bool grew;
                do
                {
                    grew = false;
                    foreach (Effect effect in _all)
                    {
                        if ((effect.Kind == EffectKind.BindResult
                                || effect.Kind == EffectKind.SetFlag
                                || (effect.Kind == EffectKind.CopyResult && tracked.Contains(effect.SourceKey!)))
                            && tracked.Add(effect.Key!))
                        {
                            grew = true;
                        }
                    }
                }
                while (grew);

                return tracked;
            }

            private ResultTest? TestFor(BasicBlock block, HashSet<object> tracked)
            {
                if (block.ConditionKind == ControlFlowConditionKind.None
                    || block.BranchValue is null
                    || !ResultChecks.TryGetFailureTest(block.BranchValue, out IOperation tested, out bool failureWhenTrue, out ResultTestKind kind))
                {
                    return null;
                }

                if (SiteOf(tested) is int site)
                {
                    return new ResultTest(site, key: null, failureWhenTrue, kind);
                }

                if (tested is IInvocationOperation query && _session.Api.IsImpersonationQuery(query.TargetMethod))
                {
                    // IServerSecurity.IsImpersonating(): where it says no, the thread is not impersonating at all.
                    return new ResultTest(ResultTest.AllSites, key: null, failureWhenTrue);
                }

                if (KeyOf(tested) is { } key && tracked.Contains(key))
                {
                    return new ResultTest(-1, key, failureWhenTrue, kind);
                }

                return null;
            }

            private static object? KeyOf(IOperation operation) => ResultChecks.Unwrap(operation) switch
            {
                ILocalReferenceOperation local => local.Local,
                IParameterReferenceOperation parameter => parameter.Parameter,
                IFlowCaptureReferenceOperation capture => capture.Id,
                IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field => field.Field,
                _ => null,
            };
        }
    }
}
