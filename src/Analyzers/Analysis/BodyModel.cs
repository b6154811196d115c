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

        /// <summary>Work that cannot throw a managed exception (a call of a P/Invoke): done as whoever the thread is.</summary>
        Work,

        /// <summary><c>Key</c> now holds the result of impersonation site <c>Index</c>.</summary>
        BindResult,

        /// <summary><c>Key</c> now holds whatever <c>SourceKey</c> holds.</summary>
        CopyResult,

        /// <summary><c>Key</c> now holds something that is no impersonation's result.</summary>
        ClearResult,

        /// <summary>The bool <c>Key</c> is set to <c>true</c>: it now says that the active impersonations happened.</summary>
        SetFlag,

        /// <summary><c>Key</c> was just written with a value that cannot be null (a new object, <c>WindowsIdentity.GetCurrent()</c>).</summary>
        MarkNonNull,

        /// <summary><c>Key</c> was just written with the thread's token as it is now (<c>OpenThreadToken(…, out key)</c>).</summary>
        MarkSaved,

        /// <summary><c>Key.Dispose()</c>, <c>Undo()</c> or <c>Revert()</c>: ends the impersonation whose context or scope <c>Key</c> holds.</summary>
        EndIfBound,
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

        /// <summary><c>x == null</c>, <c>x is null</c>: no null branch where <c>x</c> holds a value that cannot be null.</summary>
        Null,

        /// <summary><c>r == 0</c>, <c>r != 0</c>, <c>r is 0</c>: the opposite sense for a BOOL declared as <c>int</c>.</summary>
        ZeroEquality,

        /// <summary><c>r &lt; 0</c>, <c>r &gt;= 0</c>: says nothing about a BOOL declared as <c>int</c>.</summary>
        ZeroOrder,
    }

    /// <summary>
    /// Which hand-offs of SPEC §2 a body may make besides returning what ends the impersonation: none for a
    /// <c>Begin_</c>/<c>Finish_</c> method (COM calls it; no caller of its can revert); every path for a constructor
    /// of a scope (a type whose <c>Dispose()</c> reverts); a field of <c>this</c> in a scope type.
    /// </summary>
    internal sealed class HandOffRules
    {
        private static readonly HandOffRules None = new HandOffRules(allowed: false, scopeConstructor: false, scopeType: false, implementsInterface: false);

        private HandOffRules(bool allowed, bool scopeConstructor, bool scopeType, bool implementsInterface)
        {
            Allowed = allowed;
            IsScopeConstructor = scopeConstructor;
            IsScopeType = scopeType;
            ImplementsInterface = implementsInterface;
        }

        /// <summary>
        /// The body implements an interface member (a COM callback, a handler): it only starts an impersonation for a
        /// caller when it acts on the result. One that ignores whether it impersonated just leaves the token behind.
        /// </summary>
        public bool ImplementsInterface { get; }

        /// <summary>The body may hand an impersonation to its caller at all.</summary>
        public bool Allowed { get; }

        /// <summary>A constructor of a scope type: the object it makes ends what it starts.</summary>
        public bool IsScopeConstructor { get; }

        /// <summary>The body's type ends in <c>Dispose()</c> what its fields hold.</summary>
        public bool IsScopeType { get; }

        public static HandOffRules For(IMethodSymbol? owner, BodySession session)
        {
            if (owner is null || ApiModel.IsComEntryPoint(owner))
            {
                return None;
            }

            bool scopeType = owner.ContainingType is { } type && session.IsScopeType(type);
            return new HandOffRules(allowed: true, scopeConstructor: scopeType && owner.MethodKind == MethodKind.Constructor, scopeType, ImplementsInterfaceMember(owner));
        }

        private static bool ImplementsInterfaceMember(IMethodSymbol method)
        {
            if (!method.ExplicitInterfaceImplementations.IsEmpty)
            {
                return true;
            }

            if (method.MethodKind != MethodKind.Ordinary || method.DeclaredAccessibility != Accessibility.Public || method.ContainingType is not { } type)
            {
                return false;
            }

            foreach (INamedTypeSymbol implemented in type.AllInterfaces)
            {
                foreach (ISymbol member in implemented.GetMembers(method.Name))
                {
                    if (SymbolEqualityComparer.Default.Equals(type.FindImplementationForInterfaceMember(member), method))
                    {
                        return true;
                    }
                }
            }

            return false;
        }
    }

    /// <summary>
    /// What a <c>return</c> hands to the caller, as far as the hand-offs of SPEC §2 care: an impersonation's result or
    /// context (<see cref="Site"/>, or a key that may hold one), a constant that reports success, or an object whose
    /// <c>Dispose</c> ends the impersonation.
    /// </summary>
    internal readonly struct ReturnValue
    {
        public ReturnValue(IOperation value, int site, object? key, bool reportsSuccess, bool endsImpersonation)
        {
            Value = value;
            Site = site;
            Key = key;
            ReportsSuccess = reportsSuccess;
            EndsImpersonation = endsImpersonation;
        }

        public IOperation Value { get; }

        /// <summary>The impersonation whose result is returned directly (<c>return ImpersonateLoggedOnUser(t);</c>), or -1.</summary>
        public int Site { get; }

        /// <summary>The local, parameter, field or capture returned, whose bound sites it reports.</summary>
        public object? Key { get; }

        /// <summary>
        /// A constant that says success (<c>true</c>, <c>S_OK</c>) in a method that returns something else on other paths:
        /// the value tells the caller whether the thread impersonates (a begin helper).
        /// </summary>
        public bool ReportsSuccess { get; }

        /// <summary>An impersonation context, or an object whose <c>Dispose()</c> ends the impersonation.</summary>
        public bool EndsImpersonation { get; }
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
        private readonly ReturnValue?[] _returns;
        private readonly HashSet<object> _trackedKeys;
        private readonly SemanticModel _semanticModel;
        private ResultLiveness? _liveness;
        private SiteSet? _uncheckedSites;

        private BodyModel(ControlFlowGraph graph, Effect[]?[] effects, ResultTest?[] tests, ReturnValue?[] returns, HandOffRules handOffs, HashSet<object> trackedKeys, List<ImpersonationSite> impersonations, List<SignalSite> signals, List<IFlowAnonymousFunctionOperation> anonymousFunctions, List<Handoff> handoffs, List<DroppedImpersonatedRun> droppedRuns, bool hasRevert, bool hasAwait, object[]? savedFields, SemanticModel semanticModel)
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
            foreach ((ImpersonationSite site, UncheckedResult how) in ResultUse.FindUnchecked(this, Graph.OriginalOperation.Syntax, _semanticModel, cancellationToken))
            {
                if (how != UncheckedResult.Swallowed)
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

            private readonly IMethodSymbol? _owner;

            public Builder(ControlFlowGraph graph, IMethodSymbol? owner, BodySession session)
            {
                _graph = graph;
                _owner = owner;
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

                HashSet<object> tracked = TrackedKeys(NullTestedKeys());
                int count = _graph.Blocks.Length;
                var effects = new Effect[]?[count];
                var tests = new ResultTest?[count];
                ReturnValue?[] returns = Returns();
                if (!_hasRevert)
                {
                    // x.Dispose() on a context or scope some impersonation returned ends it, like a revert.
                    foreach (Effect effect in _all)
                    {
                        _hasRevert |= effect.Kind == EffectKind.EndIfBound && tracked.Contains(effect.Key!);
                    }
                }

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

                return new BodyModel(_graph, effects, tests, returns, HandOffRules.For(_owner, _session), tracked, _impersonations, _signals, _anonymousFunctions, _handoffs, _droppedRuns, _hasRevert, _hasAwait, SavedFields(tracked), _session.SemanticModel);
            }

            /// <summary>
            /// What each returning block returns. A constant reports success only in a body that returns something else
            /// on another path: <c>return true;</c> after <c>if (!ok) return false;</c> tells the caller, a lone
            /// <c>return 0;</c> tells nothing.
            /// </summary>
            private ReturnValue?[] Returns()
            {
                var returns = new ReturnValue?[_graph.Blocks.Length];
                object? firstConstant = null;
                bool varies = false;
                bool anyConstant = false;
                foreach (BasicBlock block in _graph.Blocks)
                {
                    if (block.FallThroughSuccessor is { Semantics: ControlFlowBranchSemantics.Return } && block.BranchValue is { } returned)
                    {
                        IOperation value = ResultChecks.Unwrap(returned);
                        if (value.ConstantValue is { HasValue: true } constant)
                        {
                            varies |= anyConstant && !Equals(constant.Value, firstConstant);
                            firstConstant = anyConstant ? firstConstant : constant.Value;
                            anyConstant = true;
                        }
                        else
                        {
                            varies = true;
                        }
                    }
                }

                foreach (BasicBlock block in _graph.Blocks)
                {
                    if (block.FallThroughSuccessor is { Semantics: ControlFlowBranchSemantics.Return } && block.BranchValue is { } returned)
                    {
                        IOperation value = ResultChecks.Unwrap(returned);
                        returns[block.Ordinal] = new ReturnValue(
                            value,
                            SiteOf(value) ?? -1,
                            KeyOf(value),
                            reportsSuccess: varies && IsSuccessConstant(value),
                            endsImpersonation: _impersonations.Count > 0 && _session.EndsImpersonation(value.Type));
                    }
                }

                return returns;
            }

            /// <summary><c>true</c>, or a non-negative integer (<c>S_OK</c>, a non-zero BOOL).</summary>
            private static bool IsSuccessConstant(IOperation value) => value.ConstantValue is { HasValue: true } constant && constant.Value switch
            {
                bool b => b,
                int i => i >= 0,
                uint => true,
                long l => l >= 0,
                _ => false,
            };

            /// <summary>Keys whose null test could matter: those tested for null at a branch.</summary>
            private HashSet<object> NullTestedKeys()
            {
                var keys = new HashSet<object>();
                foreach (BasicBlock block in _graph.Blocks)
                {
                    if (block.ConditionKind != ControlFlowConditionKind.None
                        && block.BranchValue is { } condition
                        && ResultChecks.TryGetFailureTest(condition, out IOperation tested, out _, out ResultTestKind kind)
                        && kind == ResultTestKind.Null
                        && KeyOf(tested) is { } key)
                    {
                        keys.Add(key);
                    }
                }

                return keys;
            }

            /// <summary>The tracked fields that the body's type only ever fills with a token saved from the thread.</summary>
            private object[]? SavedFields(HashSet<object> tracked)
            {
                object[]? saved = null;
                foreach (object key in tracked)
                {
                    if (key is IFieldSymbol field && _session.IsSavedTokenField(field))
                    {
                        saved = KeySets.With(saved, field, member: true);
                    }
                }

                return saved;
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
                        AddMarks(block, key, assignment.Value);
                        break;

                    case IFlowCaptureOperation capture:
                        Add(block, ResultFlow(capture.Id, capture.Value));
                        AddMarks(block, capture.Id, capture.Value);
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

            /// <summary>What a write tells beyond a result: the value cannot be null, or it is the thread's saved token.</summary>
            private void AddMarks(BasicBlock block, object key, IOperation value)
            {
                IOperation written = ResultChecks.Unwrap(value);
                if (written is IObjectCreationOperation || ApiModel.IsCurrentIdentity(written))
                {
                    Add(block, new Effect(EffectKind.MarkNonNull, key: key));
                }
                else if (ApiModel.IsCurrentToken(written) || (written.ConstantValue.HasValue || written is not IInvocationOperation) && ApiModel.IsNoHandle(written))
                {
                    // The thread's token as it is now, or none: putting it back on the thread is no new impersonation.
                    Add(block, new Effect(EffectKind.MarkSaved, key: key));
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
                        // A token argument that may hold the thread's saved token: the call restores it on paths where it does.
                        object? token = call.TokenArgument >= 0 && ArgumentFor(invocation, call.TokenArgument) is { } argument ? KeyOf(argument) : null;
                        AddImpersonation(block, invocation, call, throws, token);
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

                if (ApiModel.IsErrorQuery(target))
                {
                    return; // Marshal.GetLastWin32Error(): reads a failure, does no work and throws nothing
                }

                if (ApiModel.IsThreadTokenSave(target))
                {
                    foreach (IArgumentOperation saving in invocation.Arguments)
                    {
                        if (saving.Parameter?.RefKind is RefKind.Out or RefKind.Ref && KeyOf(saving.Value) is { } savedKey)
                        {
                            Add(block, new Effect(EffectKind.MarkSaved, key: savedKey));
                        }
                    }
                }

                if (target.IsStatic && ApiModel.IsNativeImport(target))
                {
                    // CloseHandle(token) before the revert in a finally: a P/Invoke reports failure in its result and
                    // does not throw, so it is work done as the client but no way for an exception to skip the revert.
                    Add(block, new Effect(EffectKind.Work));
                    return;
                }


                if (invocation.Instance is { } receiver
                    && target.Parameters.IsEmpty
                    && ApiTable.EndMethods.Contains(target.Name)
                    && KeyOf(receiver) is { } ended)
                {
                    // using (BeginImpersonation()) { … } and ctx.Undo(): the object a hand-off returned ends it.
                    Add(block, new Effect(EffectKind.EndIfBound, key: ended, operation: invocation));
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

            private void AddImpersonation(BasicBlock block, IOperation call, ApiCall api, bool mayThrow, object? token = null)
            {
                int site = _impersonations.Count;
                _impersonations.Add(new ImpersonationSite(site, call, api, block, _statementIndex));
                Add(block, new Effect(EffectKind.Impersonate, site, key: token, operation: call, mayThrow: mayThrow));
            }

            private static IOperation? ArgumentFor(IInvocationOperation invocation, int ordinal)
            {
                foreach (IArgumentOperation argument in invocation.Arguments)
                {
                    if (argument.Parameter?.Ordinal == ordinal)
                    {
                        return argument.Value;
                    }
                }

                return null;
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

                if (key is CaptureId && IsSuccessConstant(value))
                {
                    // return ok ? S_OK : GetHR(): the capture says success where the active impersonations happened.
                    return new Effect(EffectKind.SetFlag, key: key);
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
            private HashSet<object> TrackedKeys(HashSet<object> nullTested)
            {
                var tracked = new HashSet<object>();
                foreach (Effect effect in _all)
                {
                    // Tokens that may be saved or restored, and values tested for null that may be known not to be.
                    if ((effect.Kind == EffectKind.MarkSaved || (effect.Kind == EffectKind.Impersonate && effect.Key is not null))
                        || (effect.Kind == EffectKind.MarkNonNull && nullTested.Contains(effect.Key!)))
                    {
                        tracked.Add(effect.Key!);
                    }
                }

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
                IDeclarationExpressionOperation { Expression: ILocalReferenceOperation declared } => declared.Local,
                ILocalReferenceOperation local => local.Local,
                IParameterReferenceOperation parameter => parameter.Parameter,
                IFlowCaptureReferenceOperation capture => capture.Id,
                IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field => field.Field,
                _ => null,
            };
        }
    }
}
