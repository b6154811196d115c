using Microsoft.CodeAnalysis.FlowAnalysis;

namespace ComImpersonation.Analyzers.Flow
{
    /// <summary>
    /// Why the blocks of a <c>finally</c> region are running, so that each reason is analysed on its own and the
    /// state after the <c>finally</c> flows only where that reason continues. Without it, the state an exception
    /// brings into a <c>finally</c> would leak into the normal path after it (a false alarm on correct code).
    /// Blocks outside any <c>finally</c> run in the null context.
    /// </summary>
    internal sealed class FlowContext
    {
        private FlowContext(ControlFlowBranch? branch, int finallyIndex, ControlFlowRegion? exceptionalFinally, FlowContext? parent)
        {
            Branch = branch;
            FinallyIndex = finallyIndex;
            ExceptionalFinally = exceptionalFinally;
            Parent = parent;
        }

        /// <summary>For a normal continuation: the branch whose <c>FinallyRegions</c> are running.</summary>
        public ControlFlowBranch? Branch { get; }

        /// <summary>For a normal continuation: which of <see cref="Branch"/>'s finally regions is running.</summary>
        public int FinallyIndex { get; }

        /// <summary>For an exception propagating: the finally region it runs. Nothing follows it normally.</summary>
        public ControlFlowRegion? ExceptionalFinally { get; }

        /// <summary>The context of the code the branch (or the exception) left.</summary>
        public FlowContext? Parent { get; }

        public bool IsExceptional => ExceptionalFinally is not null;

        public ControlFlowRegion RunningRegion => ExceptionalFinally ?? Branch!.FinallyRegions[FinallyIndex];

        internal static FlowContext ForBranch(ControlFlowBranch branch, int finallyIndex, FlowContext? parent) =>
            new FlowContext(branch, finallyIndex, exceptionalFinally: null, parent);

        internal static FlowContext ForException(ControlFlowRegion finallyRegion, FlowContext? parent) =>
            new FlowContext(branch: null, finallyIndex: 0, finallyRegion, parent);

        /// <summary>True when this context is <paramref name="ancestor"/> or runs inside it.</summary>
        public static bool IsWithin(FlowContext? context, FlowContext? ancestor)
        {
            for (FlowContext? current = context; ; current = current.Parent)
            {
                if (ReferenceEquals(current, ancestor))
                {
                    return true;
                }

                if (current is null)
                {
                    return false;
                }
            }
        }
    }
}
