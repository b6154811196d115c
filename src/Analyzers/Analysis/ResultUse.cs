using System.Collections.Generic;
using ComImpersonation.Analyzers.Api;
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

        /// <summary>Assigned to a local that is never read before it is overwritten or goes out of scope.</summary>
        NeverRead,

        /// <summary>A throwing projection whose exception a <c>catch</c> swallows.</summary>
        Swallowed,
    }

    /// <summary>
    /// Finds impersonation results that are not acted on. Every other use (compared, tested, passed to a check,
    /// returned, stored in a field or out-parameter, read in any way) counts as acted on: in doubt, stay quiet.
    /// </summary>
    internal static class ResultUse
    {
        public static IEnumerable<(ImpersonationSite Site, UncheckedResult How)> FindUnchecked(BodyModel model, CapturedNames captured, SemanticModel semanticModel)
        {
            GraphFacts? facts = null; // built on first need, once per body
            foreach (ImpersonationSite site in model.Impersonations)
            {
                UncheckedResult? how = site.Api.Shape switch
                {
                    ResultShape.Throws => IsSwallowed(site.Operation, semanticModel) ? UncheckedResult.Swallowed : null,
                    ResultShape.Int32 or ResultShape.UInt32 or ResultShape.HResultStruct => CheckValue(facts ??= new GraphFacts(model.Graph), site, captured),
                    _ => null,
                };

                if (how is { } found)
                {
                    yield return (site, found);
                }
            }
        }

        private static UncheckedResult? CheckValue(GraphFacts facts, ImpersonationSite site, CapturedNames captured)
        {
            IOperation value = site.Operation;
            while (value.Parent is IConversionOperation or IParenthesizedOperation)
            {
                value = value.Parent;
            }

            switch (value.Parent)
            {
                case IExpressionStatementOperation:
                    return UncheckedResult.Discarded;
                case ISimpleAssignmentOperation { Target: IDiscardOperation } assignment when assignment.Value == value:
                    return UncheckedResult.Discarded;
                case ISimpleAssignmentOperation { Target: ILocalReferenceOperation local } assignment when assignment.Value == value:
                    return IsReadAfter(facts, site, assignment, local.Local, captured) ? null : UncheckedResult.NeverRead;
                default:
                    return null;
            }
        }

        /// <summary>
        /// Is <paramref name="local"/> read on some path after <paramref name="assignment"/>, before being written again?
        /// A local that lambdas or local functions capture, or that any handler region reads, counts as read.
        /// </summary>
        private static bool IsReadAfter(GraphFacts facts, ImpersonationSite site, ISimpleAssignmentOperation assignment, ILocalSymbol local, CapturedNames captured)
        {
            IOperation statement = assignment;
            while (statement.Parent is not null)
            {
                statement = statement.Parent;
            }

            if (facts.FindStatement(statement, site) is not (BasicBlock start, int startIndex))
            {
                return true; // not found: in doubt, take it as read
            }

            // Most results are read right away; the questions about the whole body come last.
            return IsReadOnPathAfter(facts.Graph, statement, start, startIndex, assignment, local)
                || captured.Contains(local.Name)
                || facts.IsReadInHandler(local);
        }

        /// <summary>Is <paramref name="local"/> read on some path from <paramref name="assignment"/> on, before being written again?</summary>
        private static bool IsReadOnPathAfter(ControlFlowGraph graph, IOperation statement, BasicBlock start, int startIndex, ISimpleAssignmentOperation assignment, ILocalSymbol local)
        {
            // The rest of the assignment's own statement, then the rest of its block.
            Use use = ScanOperation(statement, local, assignment);
            if (use == Use.None)
            {
                use = BlockUses(start, startIndex + 1, local);
            }

            if (use != Use.None)
            {
                return use == Use.Read;
            }

            var visited = new HashSet<int>();
            var pending = new Stack<BasicBlock>();
            var afterFinally = new Dictionary<ControlFlowRegion, List<BasicBlock>>();
            PushSuccessors(graph, start, pending, afterFinally);
            while (pending.Count > 0)
            {
                BasicBlock block = pending.Pop();
                if (!visited.Add(block.Ordinal))
                {
                    continue;
                }

                switch (BlockUses(block, 0, local))
                {
                    case Use.Read:
                        return true;
                    case Use.Written:
                        continue;
                }

                if (block.FallThroughSuccessor is { Semantics: ControlFlowBranchSemantics.StructuredExceptionHandling }
                    && EnclosingFinally(block.EnclosingRegion) is { } finallyRegion
                    && afterFinally.TryGetValue(finallyRegion, out List<BasicBlock>? continuations))
                {
                    // The end of a finally: go on where the branches that ran it were going.
                    foreach (BasicBlock continuation in continuations)
                    {
                        pending.Push(continuation);
                    }
                }

                PushSuccessors(graph, block, pending, afterFinally);
            }

            return false;
        }

        private static ControlFlowRegion? EnclosingFinally(ControlFlowRegion? region)
        {
            while (region is not null && region.Kind != ControlFlowRegionKind.Finally)
            {
                region = region.EnclosingRegion;
            }

            return region;
        }

        private static void PushSuccessors(ControlFlowGraph graph, BasicBlock block, Stack<BasicBlock> pending, Dictionary<ControlFlowRegion, List<BasicBlock>> afterFinally)
        {
            foreach (ControlFlowBranch? branch in new[] { block.ConditionalSuccessor, block.FallThroughSuccessor })
            {
                if (branch is null)
                {
                    continue;
                }

                // Through finally regions: their blocks run first (in order), then the destination; a write in a
                // finally therefore hides a later read.
                if (!branch.FinallyRegions.IsEmpty)
                {
                    for (int i = 0; i < branch.FinallyRegions.Length; i++)
                    {
                        BasicBlock? next = i + 1 < branch.FinallyRegions.Length
                            ? graph.Blocks[branch.FinallyRegions[i + 1].FirstBlockOrdinal]
                            : branch.Destination;
                        if (next is not null)
                        {
                            if (!afterFinally.TryGetValue(branch.FinallyRegions[i], out List<BasicBlock>? list))
                            {
                                afterFinally[branch.FinallyRegions[i]] = list = new List<BasicBlock>();
                            }

                            list.Add(next);
                        }
                    }

                    pending.Push(graph.Blocks[branch.FinallyRegions[0].FirstBlockOrdinal]);
                    continue;
                }

                if (branch.Destination is { } destination)
                {
                    pending.Push(destination);
                }
            }
        }

        private enum Use
        {
            None,
            Read,
            Written,
        }

        private static Use BlockUses(BasicBlock block, int fromIndex, ILocalSymbol local)
        {
            for (int i = fromIndex; i < block.Operations.Length; i++)
            {
                Use use = ScanOperation(block.Operations[i], local, after: null);
                if (use != Use.None)
                {
                    return use;
                }
            }

            return block.BranchValue is null ? Use.None : ScanOperation(block.BranchValue, local, after: null);
        }

        /// <summary>
        /// The first use of <paramref name="local"/> in evaluation order within <paramref name="root"/>; when
        /// <paramref name="after"/> is given, only what runs after that operation completes.
        /// </summary>
        private static Use ScanOperation(IOperation root, ILocalSymbol local, IOperation? after)
        {
            bool started = after is null;
            foreach (IOperation operation in PostOrder(root))
            {
                if (!started)
                {
                    started = operation == after;
                    continue;
                }

                if (UseOf(operation) is ({ } used, Use use) && SymbolEqualityComparer.Default.Equals(used, local))
                {
                    return use;
                }
            }

            return Use.None;
        }

        /// <summary>What <paramref name="operation"/> does to a local when it completes: reads it, writes it, or neither.</summary>
        private static (ILocalSymbol? Local, Use Use) UseOf(IOperation operation)
        {
            switch (operation)
            {
                case ILocalReferenceOperation reference:
                    if (reference.Parent is ISimpleAssignmentOperation assigned && assigned.Target == reference)
                    {
                        return (null, Use.None); // a write: counted when the assignment completes
                    }

                    if (reference.Parent is IArgumentOperation { Parameter.RefKind: RefKind.Out })
                    {
                        return (null, Use.None);
                    }

                    return (reference.Local, Use.Read);

                case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target }:
                    return (target.Local, Use.Written);

                case IArgumentOperation { Parameter.RefKind: RefKind.Out, Value: ILocalReferenceOperation target }:
                    return (target.Local, Use.Written);

                default:
                    return (null, Use.None);
            }
        }

        /// <summary>The operations under <paramref name="root"/> (itself last) in evaluation order: operands first.</summary>
        private static IEnumerable<IOperation> PostOrder(IOperation root)
        {
            var stack = new Stack<(IOperation Operation, bool Expanded)>();
            var children = new List<IOperation>();
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
                children.Clear();
                foreach (IOperation child in operation.ChildOperations)
                {
                    children.Add(child);
                }

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
        /// A throwing projection's failure is swallowed when the nearest catch that can catch a COMException
        /// neither rethrows, throws nor leaves the method. Catches with filters are given the benefit of the doubt.
        /// </summary>
        private static bool IsSwallowed(IOperation invocation, SemanticModel semanticModel)
        {
            for (SyntaxNode? node = invocation.Syntax; node is not null; node = node.Parent)
            {
                if (node is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or MemberDeclarationSyntax)
                {
                    return false;
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
                        if (clause.Filter is null && !LeavesOrThrows(clause.Block))
                        {
                            return true;
                        }
                    }

                    if (anyCatches)
                    {
                        return false;
                    }
                }
            }

            return false;
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
        /// What <see cref="IsReadAfter"/> asks of a body's graph for every site, worked out once per body: where each
        /// statement is, and which locals a handler region reads.
        /// </summary>
        private sealed class GraphFacts
        {
            private Dictionary<IOperation, (BasicBlock Block, int Index)>? _statements;
            private HashSet<ILocalSymbol>? _readInHandlers;

            public GraphFacts(ControlFlowGraph graph)
            {
                Graph = graph;
            }

            public ControlFlowGraph Graph { get; }

            /// <summary>
            /// The block holding <paramref name="statement"/>, and its index there (the operation count for a branch
            /// value): where the body's model saw the impersonation <paramref name="site"/>, else looked up.
            /// </summary>
            public (BasicBlock Block, int Index)? FindStatement(IOperation statement, ImpersonationSite site)
            {
                if (site.Block is { } block
                    && (site.StatementIndex < block.Operations.Length
                        ? block.Operations[site.StatementIndex] == statement
                        : site.StatementIndex == block.Operations.Length && block.BranchValue == statement))
                {
                    return (block, site.StatementIndex);
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

                return _statements.TryGetValue(statement, out (BasicBlock Block, int Index) found) ? found : null;
            }

            /// <summary>True when some block of a catch, filter or finally region reads <paramref name="local"/> before writing it.</summary>
            public bool IsReadInHandler(ILocalSymbol local)
            {
                if (_readInHandlers is null)
                {
                    _readInHandlers = new HashSet<ILocalSymbol>(SymbolEqualityComparer.Default);
                    var firstUse = new Dictionary<ILocalSymbol, Use>(SymbolEqualityComparer.Default);
                    foreach (BasicBlock block in Graph.Blocks)
                    {
                        if (!IsInHandler(block.EnclosingRegion))
                        {
                            continue;
                        }

                        firstUse.Clear();
                        foreach (IOperation operation in block.Operations)
                        {
                            RecordFirstUses(operation, firstUse);
                        }

                        if (block.BranchValue is { } branchValue)
                        {
                            RecordFirstUses(branchValue, firstUse);
                        }

                        foreach (KeyValuePair<ILocalSymbol, Use> entry in firstUse)
                        {
                            if (entry.Value == Use.Read)
                            {
                                _readInHandlers.Add(entry.Key);
                            }
                        }
                    }
                }

                return _readInHandlers.Contains(local);
            }

            private static void RecordFirstUses(IOperation root, Dictionary<ILocalSymbol, Use> firstUse)
            {
                foreach (IOperation operation in PostOrder(root))
                {
                    if (UseOf(operation) is ({ } local, Use use) && !firstUse.ContainsKey(local))
                    {
                        firstUse.Add(local, use);
                    }
                }
            }
        }
    }

    /// <summary>
    /// The names a code block's lambdas and local functions mention: a local among them may be read whenever the
    /// delegate runs, so its value counts as read. Collected once per code block, on first need.
    /// </summary>
    internal sealed class CapturedNames
    {
        private readonly SyntaxNode _codeBlock;
        private HashSet<string>? _names;

        public CapturedNames(SyntaxNode codeBlock)
        {
            _codeBlock = codeBlock;
        }

        public bool Contains(string name) => (_names ??= Collect(_codeBlock)).Contains(name);

        private static HashSet<string> Collect(SyntaxNode codeBlock)
        {
            var names = new HashSet<string>(System.StringComparer.Ordinal);
            foreach (SyntaxNode function in codeBlock.DescendantNodes(n => n is not AnonymousFunctionExpressionSyntax and not LocalFunctionStatementSyntax))
            {
                if (function is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)
                {
                    foreach (SyntaxNode inner in function.DescendantNodes())
                    {
                        if (inner is IdentifierNameSyntax identifier)
                        {
                            names.Add(identifier.Identifier.ValueText);
                        }
                    }
                }
            }

            return names;
        }
    }
}
