using System.Collections.Generic;
using System.Linq;
using System.Threading;
using ComImpersonation.Analyzers.Api;
using ComImpersonation.Analyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ComImpersonation.Analyzers.Analysis
{
    /// <summary>How an impersonation's result goes unchecked (SPEC §3, COMIMP004).</summary>
    internal enum UncheckedResult
    {
        /// <summary>The call is an expression statement, or assigned to <c>_</c>.</summary>
        Discarded,

        /// <summary>Assigned to a local that another write overwrites before anything reads it.</summary>
        Overwritten,

        /// <summary>
        /// Assigned to a local in a loop, and the same assignment overwrites it in the next iteration before anything
        /// reads it (no path leaves the loop unread, or none that could be named).
        /// </summary>
        OverwrittenInNextIteration,

        /// <summary>Assigned to a local that no path reads before the method returns.</summary>
        NeverRead,

        /// <summary>A throwing projection whose exception a <c>catch</c> swallows.</summary>
        Swallowed,
    }

    /// <summary>
    /// Why an impersonation's result is not acted on, with the place that loses it: the write that overwrites the
    /// local, the exit reached without reading it, the loop's back edge, the <c>catch</c> that swallows the exception.
    /// </summary>
    internal readonly struct UncheckedVerdict
    {
        public UncheckedVerdict(UncheckedResult how, Location? place = null, ILocalSymbol? local = null)
        {
            How = how;
            Place = place;
            Local = local;
        }

        public UncheckedResult How { get; }

        /// <summary>
        /// Where the result is lost: the overwriting write (<see cref="UncheckedResult.Overwritten"/>), the back edge of
        /// the loop (<see cref="UncheckedResult.OverwrittenInNextIteration"/>), the first exit reached without a read
        /// (<see cref="UncheckedResult.NeverRead"/>; null when it cannot be named), the swallowing <c>catch</c> clause
        /// (<see cref="UncheckedResult.Swallowed"/>). Null for a discarded result: the call itself loses it.
        /// </summary>
        public Location? Place { get; }

        /// <summary>The local the result is stored in, for the kinds that store it.</summary>
        public ILocalSymbol? Local { get; }
    }

    /// <summary>
    /// Finds impersonation results that are not acted on. Every other use (compared, tested, passed to a check,
    /// returned, stored in a field or out-parameter, read in any way) counts as acted on: in doubt, stay quiet.
    /// </summary>
    internal static class ResultUse
    {
        public static IEnumerable<(ImpersonationSite Site, UncheckedVerdict Verdict)> FindUnchecked(BodyModel model, SyntaxNode codeBlock, SemanticModel semanticModel, CancellationToken cancellationToken)
        {
            // What every site's question needs about the body is found once, so the cost stays linear in its size.
            var facts = new BodyUses(model.Graph, codeBlock);
            foreach (ImpersonationSite site in model.Impersonations)
            {
                cancellationToken.ThrowIfCancellationRequested();
                UncheckedVerdict? verdict = site.Api.Shape switch
                {
                    ResultShape.Throws => SwallowingCatch(site.Operation, semanticModel) is { } swallowing
                        ? new UncheckedVerdict(UncheckedResult.Swallowed, swallowing.GetLocation())
                        : null,
                    ResultShape.Int32 or ResultShape.UInt32 or ResultShape.HResultStruct or ResultShape.Bool or ResultShape.Bool32 or ResultShape.Status => CheckValue(facts, site, cancellationToken),
                    _ => null,
                };

                if (verdict is { } found)
                {
                    yield return (site, found);
                }
            }
        }

        private static UncheckedVerdict? CheckValue(BodyUses facts, ImpersonationSite site, CancellationToken cancellationToken)
        {
            IOperation invocation = site.Operation;
            if (OperationValues.IsDiscarded(invocation))
            {
                return new UncheckedVerdict(UncheckedResult.Discarded);
            }

            IOperation value = OperationValues.WithEnclosingConversions(invocation);
            switch (value.Parent)
            {
                case ISimpleAssignmentOperation { Target: ILocalReferenceOperation local } assignment when assignment.Value == value:
                    return LossAfter(facts, site, assignment, local.Local, cancellationToken);
                default:
                    return null;
            }
        }

        /// <summary>
        /// Null when <paramref name="local"/> is read on some path after <paramref name="assignment"/>, before being
        /// written again; else how and where its value is lost. A local that lambdas or local functions capture, or that
        /// any handler region reads, counts as read; so does one whose search runs out of the body's step budget (in
        /// doubt, stay quiet).
        /// </summary>
        private static UncheckedVerdict? LossAfter(BodyUses facts, ImpersonationSite site, ISimpleAssignmentOperation assignment, ILocalSymbol local, CancellationToken cancellationToken)
        {
            IOperation statement = assignment;
            while (statement.Parent is not null)
            {
                statement = statement.Parent;
            }

            if (!facts.TryFind(statement, site, out BasicBlock start, out int startIndex))
            {
                return null; // not found: in doubt, take it as read
            }

            // Most results are read right away: the path is asked first, the questions about the whole body last.
            var losses = new Losses();
            if (IsReadOnPathAfter(facts, statement, start, startIndex, assignment, local, losses, cancellationToken)
                || facts.IsCaptured(local)
                || facts.IsReadInHandler(local))
            {
                return null;
            }

            return losses.Verdict(facts.Graph, site, local);
        }

        /// <summary>
        /// Is <paramref name="local"/> read on some path from <paramref name="assignment"/> on, before being written again?
        /// When it is not, <paramref name="losses"/> holds where the paths end: the writes and the exits they reach.
        /// </summary>
        private static bool IsReadOnPathAfter(BodyUses facts, IOperation statement, BasicBlock start, int startIndex, ISimpleAssignmentOperation assignment, ILocalSymbol local, Losses losses, CancellationToken cancellationToken)
        {
            // The rest of the assignment's own statement, then the rest of its block.
            (Use use, IOperation? at) = ScanOperation(statement, local, assignment);
            if (use == Use.None)
            {
                if (!facts.TakeSteps(start.Operations.Length - startIndex))
                {
                    return true; // out of budget: in doubt, take it as read
                }

                (use, at) = BlockUses(start, startIndex + 1, local);
            }

            if (use == Use.Written)
            {
                losses.Written(at!, assignment);
            }

            if (use != Use.None)
            {
                return use == Use.Read;
            }

            ControlFlowGraph graph = facts.Graph;
            var visited = new HashSet<int>();
            var pending = new Stack<BasicBlock>();
            var afterFinally = new Dictionary<ControlFlowRegion, List<int>>();
            PushSuccessors(graph, start, pending, afterFinally, losses);
            PushAfterFinally(facts, start, pending, afterFinally, losses);
            while (pending.Count > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                BasicBlock block = pending.Pop();
                if (!visited.Add(block.Ordinal))
                {
                    continue;
                }

                if (!facts.TakeSteps(1 + block.Operations.Length))
                {
                    return true; // out of budget: in doubt, take it as read
                }

                switch (BlockUses(block, 0, local))
                {
                    case (Use.Read, _):
                        return true;
                    case (Use.Written, { } write):
                        losses.Written(write, assignment);
                        continue;
                }

                PushAfterFinally(facts, block, pending, afterFinally, losses);
                PushSuccessors(graph, block, pending, afterFinally, losses);
            }

            return false;
        }

        /// <summary>
        /// Where the paths of a search that found no read end: the writes that overwrite the local first, and the
        /// branches to the method's exit. A branch that runs <c>finally</c> regions reaches the exit only when the
        /// search went through the end of each of them (a write in one stops it there).
        /// </summary>
        private sealed class Losses
        {
            private readonly List<IOperation> _writes = new List<IOperation>();
            private readonly List<ControlFlowBranch> _exits = new List<ControlFlowBranch>();
            private readonly HashSet<ControlFlowRegion> _endedFinally = new HashSet<ControlFlowRegion>();
            private bool _rewritesItself;

            public void Written(IOperation write, ISimpleAssignmentOperation assignment)
            {
                if (ReferenceEquals(write, assignment))
                {
                    _rewritesItself = true; // the same assignment again: a loop's next iteration
                }
                else
                {
                    _writes.Add(write);
                }
            }

            public void Branch(ControlFlowBranch branch)
            {
                if (branch.Destination is { Kind: BasicBlockKind.Exit } && MayBeTaken(branch))
                {
                    _exits.Add(branch);
                }
            }

            /// <summary>
            /// The search follows every branch, also those that are never taken: the way out of a <c>while (true)</c>
            /// loop, code after it. Only a branch that may be taken is a way out that loses the result.
            /// </summary>
            private static bool MayBeTaken(ControlFlowBranch branch)
            {
                BasicBlock source = branch.Source;
                if (!source.IsReachable)
                {
                    return false;
                }

                if (source.ConditionKind == ControlFlowConditionKind.None || source.BranchValue?.ConstantValue is not { HasValue: true, Value: bool value })
                {
                    return true;
                }

                bool conditionalTaken = value == (source.ConditionKind == ControlFlowConditionKind.WhenTrue);
                return branch.IsConditionalSuccessor == conditionalTaken;
            }

            public void EndedFinally(ControlFlowRegion region) => _endedFinally.Add(region);

            /// <summary>
            /// The loss to name: of the overwriting writes and the exits reached, the first in the source; the loop's
            /// next iteration only when there is neither.
            /// </summary>
            public UncheckedVerdict Verdict(ControlFlowGraph graph, ImpersonationSite site, ILocalSymbol local)
            {
                Location? first = null;
                UncheckedResult how = UncheckedResult.NeverRead;
                foreach (IOperation write in _writes)
                {
                    Location at = write.Syntax.GetLocation();
                    if (first is null || at.SourceSpan.Start < first.SourceSpan.Start)
                    {
                        first = at;
                        how = UncheckedResult.Overwritten;
                    }
                }

                foreach (ControlFlowBranch exit in _exits)
                {
                    if (!exit.FinallyRegions.All(_endedFinally.Contains))
                    {
                        continue; // a finally on the way overwrites it first
                    }

                    Location at = PathPlaces.ExitOf(exit, graph);
                    if (first is null || at.SourceSpan.Start < first.SourceSpan.Start)
                    {
                        first = at;
                        how = UncheckedResult.NeverRead;
                    }
                }

                if (first is null && _rewritesItself && PathPlaces.BackEdgeAround(site.Operation.Syntax) is { } backEdge)
                {
                    return new UncheckedVerdict(UncheckedResult.OverwrittenInNextIteration, backEdge, local);
                }

                return new UncheckedVerdict(how, first, local);
            }
        }

        /// <summary>
        /// The end of a finally: go on where the branches on this path that ran it were going. A search that started
        /// inside the finally followed no such branch: it may go on wherever any branch that runs it goes
        /// (<c>finally { status = Revert(); } return status;</c>).
        /// </summary>
        private static void PushAfterFinally(BodyUses facts, BasicBlock block, Stack<BasicBlock> pending, Dictionary<ControlFlowRegion, List<int>> afterFinally, Losses losses)
        {
            if (FlowEdges.EndedFinally(block) is not { } finallyRegion)
            {
                return;
            }

            losses.EndedFinally(finallyRegion);

            if (!afterFinally.TryGetValue(finallyRegion, out List<int>? continuations))
            {
                facts.AllFinallyContinuations().TryGetValue(finallyRegion, out continuations);
            }

            foreach (int continuation in continuations ?? new List<int>())
            {
                pending.Push(facts.Graph.Blocks[continuation]);
            }
        }

        /// <summary>
        /// Pushes the blocks <paramref name="block"/>'s branches run first, and records where each <c>finally</c> they run
        /// goes on to: finally regions run first (in order), then the destination, so a write in a finally hides a
        /// later read. Only the continuations of branches this search follows are recorded (unlike the liveness,
        /// which takes every branch that runs the finally).
        /// </summary>
        private static void PushSuccessors(ControlFlowGraph graph, BasicBlock block, Stack<BasicBlock> pending, Dictionary<ControlFlowRegion, List<int>> afterFinally, Losses losses)
        {
            foreach (ControlFlowBranch branch in FlowEdges.Branches(block))
            {
                losses.Branch(branch);
                FlowEdges.AddFinallyContinuations(branch, afterFinally);
                if (FlowEdges.Entry(branch) is { } entry)
                {
                    pending.Push(graph.Blocks[entry]);
                }
            }
        }

        private enum Use
        {
            None,
            Read,
            Written,
        }

        /// <summary>The first use of <paramref name="local"/> in the block from operation <paramref name="fromIndex"/> on, and the operation that uses it.</summary>
        private static (Use Use, IOperation? At) BlockUses(BasicBlock block, int fromIndex, ILocalSymbol local)
        {
            for (int i = fromIndex; i < block.Operations.Length; i++)
            {
                (Use use, IOperation? at) = ScanOperation(block.Operations[i], local, after: null);
                if (use != Use.None)
                {
                    return (use, at);
                }
            }

            return block.BranchValue is null ? (Use.None, null) : ScanOperation(block.BranchValue, local, after: null);
        }

        /// <summary>
        /// The first use of <paramref name="local"/> in evaluation order within <paramref name="root"/>, and the operation
        /// that uses it; when <paramref name="after"/> is given, only what runs after that operation completes.
        /// </summary>
        private static (Use Use, IOperation? At) ScanOperation(IOperation root, ILocalSymbol local, IOperation? after)
        {
            bool started = after is null;
            foreach (IOperation operation in InEvaluationOrder(root))
            {
                if (!started)
                {
                    started = operation == after;
                    continue;
                }

                if (UseAt(operation, out ILocalSymbol? used) is var kind and not Use.None
                    && SymbolEqualityComparer.Default.Equals(used, local))
                {
                    return (kind, operation);
                }
            }

            return (Use.None, null);
        }

        /// <summary>How <paramref name="operation"/> itself (not its operands) uses a local, and which.</summary>
        private static Use UseAt(IOperation operation, out ILocalSymbol? local)
        {
            switch (operation)
            {
                case ILocalReferenceOperation reference:
                    local = reference.Local;
                    if (reference.Parent is ISimpleAssignmentOperation assigned && assigned.Target == reference)
                    {
                        return Use.None; // a write: counted when the assignment completes
                    }

                    return reference.Parent is IArgumentOperation { Parameter.RefKind: RefKind.Out } ? Use.None : Use.Read;

                case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target }:
                    local = target.Local;
                    return Use.Written;

                case IArgumentOperation { Parameter.RefKind: RefKind.Out, Value: ILocalReferenceOperation target }:
                    local = target.Local;
                    return Use.Written;

                default:
                    local = null;
                    return Use.None;
            }
        }

        /// <summary>Every operation in <paramref name="root"/>, operands before the operation that uses them.</summary>
        private static IEnumerable<IOperation> InEvaluationOrder(IOperation root)
        {
            var stack = new Stack<(IOperation Operation, bool Expanded)>();
            stack.Push((root, false));
            while (stack.Count > 0)
            {
                (IOperation operation, bool expanded) = stack.Pop();
                if (expanded)
                {
                    yield return operation;
                    continue;
                }

                stack.Push((operation, true));
                var children = new List<IOperation>(operation.ChildOperations);
                for (int i = children.Count - 1; i >= 0; i--)
                {
                    stack.Push((children[i], false));
                }
            }
        }

        private static bool IsInHandler(ControlFlowRegion? region)
        {
            for (ControlFlowRegion? current = region; current is not null; current = current.EnclosingRegion)
            {
                if (current.Kind is ControlFlowRegionKind.Catch or ControlFlowRegionKind.Filter or ControlFlowRegionKind.Finally)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// The catch that swallows a throwing projection's failure, if one does: the first, of the innermost
        /// <c>try</c> with catches that can catch a COMException, that neither rethrows, throws nor leaves the method.
        /// Catches with filters are given the benefit of the doubt.
        /// </summary>
        private static CatchClauseSyntax? SwallowingCatch(IOperation invocation, SemanticModel semanticModel)
        {
            for (SyntaxNode? node = invocation.Syntax; node is not null; node = node.Parent)
            {
                if (node is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or MemberDeclarationSyntax)
                {
                    return null;
                }

                if (node.Parent is TryStatementSyntax tryStatement && node == tryStatement.Block && tryStatement.Catches.Count > 0)
                {
                    bool anyCatches = false;
                    foreach (CatchClauseSyntax clause in tryStatement.Catches)
                    {
                        if (!CatchesComException(clause, semanticModel))
                        {
                            continue;
                        }

                        anyCatches = true;
                        if (clause.Filter is null && !LeavesOrThrows(clause.Block) && !OnlyTheExitFollows(tryStatement))
                        {
                            return clause;
                        }
                    }

                    if (anyCatches)
                    {
                        return null;
                    }
                }
            }

            return null;
        }

        /// <summary>
        /// Nothing but the method's exit runs after <paramref name="statement"/> (SPEC §3: such a catch leaves the
        /// method): it is the last statement of its block, and so on up to the body, through <c>if</c>/<c>else</c>,
        /// <c>using</c>, <c>lock</c> and the blocks of enclosing <c>try</c> statements. A loop, <c>switch</c> or label
        /// may run more code: not known to be the end.
        /// </summary>
        private static bool OnlyTheExitFollows(StatementSyntax statement)
        {
            SyntaxNode node = statement;
            while (true)
            {
                SyntaxNode? parent = node.Parent;
                switch (parent)
                {
                    case BlockSyntax block:
                        int index = block.Statements.IndexOf((StatementSyntax)node);
                        if (index < 0 || !OnlyReturnsFollow(block, index))
                        {
                            return false;
                        }

                        node = block;
                        continue;
                    case BaseMethodDeclarationSyntax or AccessorDeclarationSyntax or LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax:
                        return true;
                    case ElseClauseSyntax { Parent: IfStatementSyntax ifElse }:
                        node = ifElse;
                        continue;
                    case IfStatementSyntax or UsingStatementSyntax or LockStatementSyntax or FixedStatementSyntax or CheckedStatementSyntax or UnsafeStatementSyntax:
                        node = parent;
                        continue;
                    case TryStatementSyntax or CatchClauseSyntax or FinallyClauseSyntax:
                        node = parent is TryStatementSyntax ? parent : parent.Parent!;
                        continue;
                    default:
                        return false;
                }
            }
        }

        /// <summary>
        /// After statement <paramref name="index"/> of <paramref name="block"/> comes nothing, or a <c>return</c> of a plain
        /// value (<c>return context;</c>, <c>return false;</c>): nothing that runs as anyone.
        /// </summary>
        private static bool OnlyReturnsFollow(BlockSyntax block, int index)
        {
            // Nothing after a return runs: only the next statement matters.
            return index + 1 >= block.Statements.Count
                || block.Statements[index + 1] is ReturnStatementSyntax { Expression: null or IdentifierNameSyntax or LiteralExpressionSyntax or MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax or ThisExpressionSyntax } };
        }

        private static bool CatchesComException(CatchClauseSyntax clause, SemanticModel semanticModel)
        {
            if (clause.Declaration is null)
            {
                return true;
            }

            if (semanticModel.GetTypeInfo(clause.Declaration.Type).Type is not INamedTypeSymbol caught)
            {
                return false;
            }

            string name = caught.ToDisplayString();
            return name is "System.Exception" or "System.SystemException"
                or "System.Runtime.InteropServices.ExternalException" or "System.Runtime.InteropServices.COMException";
        }

        private static bool LeavesOrThrows(BlockSyntax block)
        {
            foreach (SyntaxNode node in block.DescendantNodes(n => n is not AnonymousFunctionExpressionSyntax and not LocalFunctionStatementSyntax))
            {
                if (node.IsKind(SyntaxKind.ThrowStatement) || node.IsKind(SyntaxKind.ThrowExpression) || node.IsKind(SyntaxKind.ReturnStatement))
                {
                    return true;
                }
            }

            return false;
        }
        /// <summary>
        /// What the questions about one body's locals share, computed once per body: the names that lambdas and
        /// local functions mention, the locals that handler regions read, where each statement is, and a budget of
        /// search steps (like the flow analysis', linear in the graph's size: 200 + 64 × its blocks and operations) for
        /// all the searches together.
        /// </summary>
        private sealed class BodyUses
        {
            private readonly SyntaxNode _codeBlock;
            private HashSet<string>? _capturedNames;
            private HashSet<ILocalSymbol>? _readInHandlers;
            private Dictionary<IOperation, (BasicBlock Block, int Index)>? _statements;
            private long _budget;

            private Dictionary<ControlFlowRegion, List<int>>? _allFinallyContinuations;

            /// <summary>Where each finally region may go on when it ends: the continuations of every branch that runs it.</summary>
            public Dictionary<ControlFlowRegion, List<int>> AllFinallyContinuations()
            {
                if (_allFinallyContinuations is null)
                {
                    _allFinallyContinuations = new Dictionary<ControlFlowRegion, List<int>>();
                    foreach (BasicBlock block in Graph.Blocks)
                    {
                        foreach (ControlFlowBranch branch in FlowEdges.Branches(block))
                        {
                            FlowEdges.AddFinallyContinuations(branch, _allFinallyContinuations);
                        }
                    }
                }

                return _allFinallyContinuations;
            }

            public BodyUses(ControlFlowGraph graph, SyntaxNode codeBlock)
            {
                Graph = graph;
                _codeBlock = codeBlock;
                long size = graph.Blocks.Length;
                foreach (BasicBlock block in graph.Blocks)
                {
                    size += block.Operations.Length;
                }

                _budget = 200L + (64L * size);
            }

            public ControlFlowGraph Graph { get; }

            /// <summary>Charges <paramref name="steps"/> (blocks and operations looked at); false once the budget is spent.</summary>
            public bool TakeSteps(int steps) => (_budget -= steps) >= 0;

            public bool IsCaptured(ILocalSymbol local)
            {
                if (_capturedNames is null)
                {
                    _capturedNames = new HashSet<string>(System.StringComparer.Ordinal);
                    foreach (SyntaxNode node in _codeBlock.DescendantNodes(n => n is not AnonymousFunctionExpressionSyntax and not LocalFunctionStatementSyntax))
                    {
                        if (node is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)
                        {
                            foreach (SyntaxNode inner in node.DescendantNodes())
                            {
                                if (inner is IdentifierNameSyntax identifier)
                                {
                                    _capturedNames.Add(identifier.Identifier.ValueText);
                                }
                            }
                        }
                    }
                }

                return _capturedNames.Contains(local.Name);
            }

            /// <summary>A <c>catch</c>, filter or <c>finally</c> block whose first use of <paramref name="local"/> reads it.</summary>
            public bool IsReadInHandler(ILocalSymbol local)
            {
                if (_readInHandlers is null)
                {
                    _readInHandlers = new HashSet<ILocalSymbol>(SymbolEqualityComparer.Default);
                    foreach (BasicBlock block in Graph.Blocks)
                    {
                        if (!IsInHandler(block.EnclosingRegion))
                        {
                            continue;
                        }

                        var seen = new HashSet<ILocalSymbol>(SymbolEqualityComparer.Default);
                        foreach (IOperation root in RootsOf(block))
                        {
                            foreach (IOperation operation in InEvaluationOrder(root))
                            {
                                if (UseAt(operation, out ILocalSymbol? used) is var kind and not Use.None && seen.Add(used!) && kind == Use.Read)
                                {
                                    _readInHandlers.Add(used!);
                                }
                            }
                        }
                    }
                }

                return _readInHandlers.Contains(local);
            }

            /// <summary>
            /// The block whose operations (or branch value) include <paramref name="statement"/>, and its index there:
            /// where the body's model saw <paramref name="site"/> when that is the statement, else looked up.
            /// </summary>
            public bool TryFind(IOperation statement, ImpersonationSite site, out BasicBlock block, out int index)
            {
                if (site.Block is { } seen
                    && (site.StatementIndex < seen.Operations.Length
                        ? seen.Operations[site.StatementIndex] == statement
                        : site.StatementIndex == seen.Operations.Length && seen.BranchValue == statement))
                {
                    block = seen;
                    index = site.StatementIndex;
                    return true;
                }

                if (_statements is null)
                {
                    _statements = new Dictionary<IOperation, (BasicBlock, int)>();
                    foreach (BasicBlock candidate in Graph.Blocks)
                    {
                        for (int i = 0; i < candidate.Operations.Length; i++)
                        {
                            _statements[candidate.Operations[i]] = (candidate, i);
                        }

                        if (candidate.BranchValue is { } branchValue)
                        {
                            _statements[branchValue] = (candidate, candidate.Operations.Length);
                        }
                    }
                }

                bool found = _statements.TryGetValue(statement, out (BasicBlock Block, int Index) at);
                block = at.Block;
                index = at.Index;
                return found;
            }

            private static IEnumerable<IOperation> RootsOf(BasicBlock block)
            {
                foreach (IOperation operation in block.Operations)
                {
                    yield return operation;
                }

                if (block.BranchValue is { } branchValue)
                {
                    yield return branchValue;
                }
            }
        }
    }
}
