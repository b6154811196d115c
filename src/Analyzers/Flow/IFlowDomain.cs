using Microsoft.CodeAnalysis.FlowAnalysis;

namespace ComImpersonation.Analyzers.Flow
{
    /// <summary>
    /// The lattice and transfer functions of one forward data-flow analysis. The engine
    /// (<see cref="ForwardFlowEngine{TState}"/>) knows control flow; the domain knows what operations mean.
    /// </summary>
    internal interface IFlowDomain<TState>
        where TState : struct
    {
        /// <summary>The state of code not (yet) known to be reachable; the identity of <see cref="Join"/>.</summary>
        TState Bottom { get; }

        bool IsBottom(TState state);

        /// <summary>The least upper bound: what may hold after either of two paths.</summary>
        TState Join(TState left, TState right);

        bool StateEquals(TState left, TState right);

        /// <summary>
        /// Runs a block's operations and branch value over <paramref name="input"/>. <paramref name="intermediate"/>
        /// receives the join of the states with which an exception can leave the block (bottom when nothing in it
        /// can throw): what it carries to a handler, or out of the method.
        /// </summary>
        TState Transfer(BasicBlock block, TState input, out TState intermediate);

        /// <summary>Refines a block's output for one outgoing edge: what the branch condition teaches.</summary>
        TState OnEdge(BasicBlock block, TState output, bool isConditionalSuccessor);
    }
}
