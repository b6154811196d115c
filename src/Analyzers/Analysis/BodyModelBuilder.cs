using System.Collections.Generic;
using ComImpersonation.Analyzers.Api;
using ComImpersonation.Analyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ComImpersonation.Analyzers.Analysis
{
    /// <summary>
    /// Extracts a body's model from its graph: walks each block's operations once, in evaluation order, and records
    /// what the analysis cares about as effects (impersonations, reverts, signals, awaits, throw points, what keys
    /// hold), branch tests of results, returned values, and the body's thread hand-offs.
    /// </summary>
    internal sealed partial class BodyModel
    {
        private sealed partial class Builder
        {
            private readonly ControlFlowGraph _graph;
            private readonly BodySession _session;
            private readonly List<ImpersonationSite> _impersonations = new List<ImpersonationSite>();
            private readonly List<SignalSite> _signals = new List<SignalSite>();
            private readonly List<RevertSite> _reverts = new List<RevertSite>();
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

                return new BodyModel(_graph, effects, tests, returns, HandOffRules.For(_owner, _session), tracked, _impersonations, _signals, _reverts, _anonymousFunctions, _handoffs, _droppedRuns, _hasRevert, _hasAwait, SavedFields(tracked), _session.SemanticModel);
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
                            AddThrowPoint(block, creation);
                        }

                        break;

                    case IThrowOperation:
                        AddThrowPoint(block, operation);
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
                if (written is IObjectCreationOperation
                    || ApiModel.IsCurrentIdentity(written)
                    || (SiteOf(written) is int site && _impersonations[site].EndedByItsValue))
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
                        object? token = call.TokenArgument >= 0 && ApiModel.ArgumentFor(invocation, call.TokenArgument) is { } argument ? KeyOf(argument) : null;
                        if (call.ArgumentRule == ArgumentRule.ThreadImpersonationTokenClass && token is ILocalSymbol local && ApiModel.HoldsNoToken(local, _session.SemanticModel, _session.CancellationToken))
                        {
                            // NtSetInformationThread(thread, ThreadImpersonationToken, &zero, size): the family's revert.
                            AddRevert(block, invocation, call.DisplayName, inside: null);
                            return;
                        }

                        AddImpersonation(block, invocation, call, throws, token);
                        return;

                    case ApiOperation.Revert:
                        // A failing revert is not modelled: the thread is taken to be reverted either way.
                        AddRevert(block, invocation, call.DisplayName, inside: null);
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



                if (invocation.Instance is { } receiver
                    && target.Parameters.IsEmpty
                    && ApiTable.EndMethods.Contains(target.Name)
                    && KeyOf(receiver) is { } ended)
                {
                    // using (BeginImpersonation()) { … } and ctx.Undo(): the object a hand-off returned ends it.
                    Add(block, new Effect(EffectKind.EndIfBound, key: ended, operation: invocation));
                    _reverts.Add(new RevertSite(invocation, target.ContainingType.Name + "." + target.Name, inside: null));
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
                    AddThrowPoint(block, call); // like a direct revert, a revert wrapper is taken to revert
                }

                if (summary.Has(SummaryEffects.ClientIdentity))
                {
                    // Impersonates and reverts inside: an impersonation for COMIMP001/005/006, never left active.
                    AddImpersonation(block, call, new ApiCall(ApiOperation.Impersonate, ResultShape.Other, displayName, summary.Family, summary.Kind), mayThrow: false, inside: summary.ImpersonationPlace);
                    AddRevert(block, call, displayName, summary.RevertPlace);
                }

                if (summary.Has(SummaryEffects.Impersonates))
                {
                    AddImpersonation(block, call, new ApiCall(ApiOperation.Impersonate, summary.Shape, displayName, summary.Family, summary.Kind), mayThrow: false, endedByItsValue: summary.ReturnsEnder, inside: summary.ImpersonationPlace);
                }

                if (summary.Has(SummaryEffects.Reverts))
                {
                    AddRevert(block, call, displayName, summary.RevertPlace);
                }

                if (summary.Has(SummaryEffects.MaySignal))
                {
                    AddSignal(block, call, displayName, mayThrow: false, inside: summary.SignalPlace);
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

            private void AddImpersonation(BasicBlock block, IOperation call, ApiCall api, bool mayThrow, object? token = null, bool? endedByItsValue = null, CalleePlace? inside = null)
            {
                int site = _impersonations.Count;
                _impersonations.Add(new ImpersonationSite(site, call, api, block, _statementIndex, endedByItsValue ?? api.Form is { EndedByItsValue: true }, inside));
                Add(block, new Effect(EffectKind.Impersonate, site, key: token, operation: call, mayThrow: mayThrow));
            }

            private void AddRevert(BasicBlock block, IOperation call, string displayName, CalleePlace? inside)
            {
                _hasRevert = true;
                _reverts.Add(new RevertSite(call, displayName, inside));
                Add(block, new Effect(EffectKind.Revert, operation: call));
            }

            private void AddSignal(BasicBlock block, IOperation invocation, string displayName, bool mayThrow, CalleePlace? inside = null)
            {
                int index = _signals.Count;
                _signals.Add(new SignalSite(index, invocation, displayName, inside));
                Add(block, new Effect(EffectKind.Signal, index, operation: invocation, mayThrow: mayThrow));
            }

            private void AddThrowPoint(BasicBlock block, IOperation operation)
            {
                if (FlowEdges.EnclosingFinally(block.EnclosingRegion) is not null)
                {
                    // Inside a finally the revert already is where COMIMP007 wants it: a call before it in the same
                    // finally (CloseHandle(token)) is work done, not a reason to move the revert.
                    Add(block, new Effect(EffectKind.Work, operation: operation));
                    return;
                }

                // Consecutive throw points see the same state: one is enough.
                if (_all.Count == _start[block.Ordinal] || _all[_all.Count - 1].Kind != EffectKind.ThrowPoint)
                {
                    Add(block, new Effect(EffectKind.ThrowPoint, operation: operation)); // the first: the call an exception comes from first
                }
            }

            // Effects are added only to the block being walked, which is the last one started.
            private void Add(BasicBlock block, Effect effect)
            {
                System.Diagnostics.Debug.Assert(_start[block.Ordinal] <= _all.Count, "effects are added to the block being walked");
                _all.Add(effect);
            }
        }
    }
}
