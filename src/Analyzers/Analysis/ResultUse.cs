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
        public static IEnumerable<(ImpersonationSite Site, UncheckedResult How)> FindUnchecked(BodyModel model, SyntaxNode codeBlock, SemanticModel semanticModel)
        {
            foreach (ImpersonationSite site in model.Impersonations)
            {
                UncheckedResult? how = site.Api.Shape switch
                {
                    ResultShape.Throws => IsSwallowed(site.Operation, semanticModel) ? UncheckedResult.Swallowed : null,
                    ResultShape.Int32 or ResultShape.UInt32 or ResultShape.HResultStruct or ResultShape.Bool or ResultShape.Bool32 or ResultShape.Status => CheckValue(model.Graph, site.Operation, codeBlock),
                    _ => null,
                };

                if (how is { } found)
                {
                    yield return (site, found);
                }
            }
        }

        private static UncheckedResult? CheckValue(ControlFlowGraph graph, IOperation invocation, SyntaxNode codeBlock)
        {
            IOperation value = invocation;
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
                    return IsReadAfter(graph, assignment, local.Local, codeBlock) ? null : UncheckedResult.NeverRead;
                default:
                    return null;
            }
        }

        /// <summary>
        /// Is <paramref name="local"/> read on some path after <paramref name="assignment"/>, before being written again?
        /// A local that lambdas or local functions capture, or that any handler region reads, counts as read.
        /// </summary>
        private static bool IsReadAfter(ControlFlowGraph graph, ISimpleAssignmentOperation assignment, ILocalSymbol local, SyntaxNode codeBlock)
        {
            if (IsCaptured(local, codeBlock))
            {
                return true;
            }

            IOperation statement = assignment;
            while (statement.Parent is not null)
            {
                statement = statement.Parent;
            }

            BasicBlock? start = null;
            int startIndex = -1;
            foreach (BasicBlock block in graph.Blocks)
            {
                int index = block.Operations.IndexOf(statement);
                if (index >= 0)
                {
                    start = block;
                    startIndex = index;
                    break;
                }

                if (block.BranchValue == statement)
                {
                    start = block;
                    startIndex = block.Operations.Length;
                    break;
                }
            }

            if (start is null)
            {
                return true; // not found: in doubt, take it as read
            }

            foreach (BasicBlock block in graph.Blocks)
            {
                if (IsInHandler(block.EnclosingRegion) && BlockUses(block, 0, local) == Use.Read)
                {
                    return true;
                }
            }

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
            var stack = new Stack<(IOperation Operation, bool Expanded)>();
            stack.Push((root, false));
            while (stack.Count > 0)
            {
                (IOperation operation, bool expanded) = stack.Pop();
                if (!expanded)
                {
                    stack.Push((operation, true));
                    var children = new List<IOperation>(operation.ChildOperations);
                    for (int i = children.Count - 1; i >= 0; i--)
                    {
                        stack.Push((children[i], false));
                    }

                    continue;
                }

                if (!started)
                {
                    started = operation == after;
                    continue;
                }

                switch (operation)
                {
                    case ILocalReferenceOperation reference when SymbolEqualityComparer.Default.Equals(reference.Local, local):
                        if (reference.Parent is ISimpleAssignmentOperation assigned && assigned.Target == reference)
                        {
                            break; // a write: counted when the assignment completes
                        }

                        if (reference.Parent is IArgumentOperation { Parameter.RefKind: RefKind.Out })
                        {
                            break;
                        }

                        return Use.Read;

                    case ISimpleAssignmentOperation write when write.Target is ILocalReferenceOperation target
                        && SymbolEqualityComparer.Default.Equals(target.Local, local):
                        return Use.Written;

                    case IArgumentOperation { Parameter.RefKind: RefKind.Out, Value: ILocalReferenceOperation target }
                        when SymbolEqualityComparer.Default.Equals(target.Local, local):
                        return Use.Written;
                }
            }

            return Use.None;
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

        private static bool IsCaptured(ILocalSymbol local, SyntaxNode codeBlock)
        {
            foreach (SyntaxNode node in codeBlock.DescendantNodes())
            {
                if (node is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)
                {
                    foreach (SyntaxNode inner in node.DescendantNodes())
                    {
                        if (inner is IdentifierNameSyntax identifier && identifier.Identifier.ValueText == local.Name)
                        {
                            return true;
                        }
                    }
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
    }
}
