using System.Collections.Generic;
using Microsoft.CodeAnalysis.FlowAnalysis;

namespace ComImpersonation.Analyzers.Flow
{
    /// <summary>
    /// Where control goes from a block, through <c>finally</c> regions and to exception handlers: the one reading of
    /// Roslyn's graph that the forward engine, the liveness of result keys and the search for a result's read share,
    /// so that they cannot disagree about an edge.
    /// </summary>
    /// <remarks>
    /// A branch that leaves <c>try</c> regions runs their <c>finally</c> regions in order, then reaches its
    /// destination: its first block is the first <c>finally</c>'s, and the end of each <c>finally</c> goes on to the
    /// next one or to the destination. Roslyn gives the end of a <c>finally</c> no destination of its own
    /// (<see cref="ControlFlowBranchSemantics.StructuredExceptionHandling"/>): where it goes depends on why it ran.
    /// </remarks>
    internal static class FlowEdges
    {
        /// <summary>The block's outgoing branches, conditional first; null entries are absent branches.</summary>
        public static IEnumerable<ControlFlowBranch> Branches(BasicBlock block)
        {
            if (block.ConditionalSuccessor is { } conditional)
            {
                yield return conditional;
            }

            if (block.FallThroughSuccessor is { } fallThrough)
            {
                yield return fallThrough;
            }
        }

        /// <summary>The first block a branch runs: its first <c>finally</c>, else its destination; null when it has none.</summary>
        public static int? Entry(ControlFlowBranch branch) =>
            branch.FinallyRegions.IsEmpty ? branch.Destination?.Ordinal : branch.FinallyRegions[0].FirstBlockOrdinal;

        /// <summary>Where <paramref name="branch"/> goes once its <c>finally</c> number <paramref name="index"/> ends: the next one, or its destination.</summary>
        public static int? AfterFinally(ControlFlowBranch branch, int index) =>
            index + 1 < branch.FinallyRegions.Length ? branch.FinallyRegions[index + 1].FirstBlockOrdinal : branch.Destination?.Ordinal;

        /// <summary>
        /// Records, for each <c>finally</c> region <paramref name="branch"/> runs, where the branch goes when it ends. The
        /// end of a <c>finally</c> may go to any of the continuations recorded for it (one per branch that runs it).
        /// </summary>
        public static void AddFinallyContinuations(ControlFlowBranch branch, Dictionary<ControlFlowRegion, List<int>> continuations)
        {
            for (int i = 0; i < branch.FinallyRegions.Length; i++)
            {
                if (AfterFinally(branch, i) is { } next)
                {
                    if (!continuations.TryGetValue(branch.FinallyRegions[i], out List<int>? list))
                    {
                        continuations[branch.FinallyRegions[i]] = list = new List<int>();
                    }

                    list.Add(next);
                }
            }
        }

        /// <summary>The <c>finally</c> region that <paramref name="block"/> ends, when its fall-through is the end of one.</summary>
        public static ControlFlowRegion? EndedFinally(BasicBlock block) =>
            block.FallThroughSuccessor is { Semantics: ControlFlowBranchSemantics.StructuredExceptionHandling }
                ? EnclosingFinally(block.EnclosingRegion)
                : null;

        /// <summary>The innermost <c>finally</c> region that contains <paramref name="region"/>, or null.</summary>
        public static ControlFlowRegion? EnclosingFinally(ControlFlowRegion? region)
        {
            while (region is not null && region.Kind != ControlFlowRegionKind.Finally)
            {
                region = region.EnclosingRegion;
            }

            return region;
        }

        /// <summary>
        /// The first blocks of the handlers an exception raised in <paramref name="block"/> may reach: those of each
        /// enclosing <c>try</c>, innermost first (a filter and its handler both start from the thrown state).
        /// </summary>
        public static void AddHandlerEntries(BasicBlock block, List<int> into)
        {
            for (ControlFlowRegion? region = block.EnclosingRegion; region is not null; region = region.EnclosingRegion)
            {
                if (region.Kind == ControlFlowRegionKind.Try && region.EnclosingRegion is { } handlers)
                {
                    foreach (ControlFlowRegion handler in handlers.NestedRegions)
                    {
                        if (ReferenceEquals(handler, region))
                        {
                            continue;
                        }

                        into.Add(handler.FirstBlockOrdinal);
                        if (handler.Kind == ControlFlowRegionKind.FilterAndHandler)
                        {
                            foreach (ControlFlowRegion part in handler.NestedRegions)
                            {
                                into.Add(part.FirstBlockOrdinal);
                            }
                        }
                    }
                }
            }
        }
    }
}
