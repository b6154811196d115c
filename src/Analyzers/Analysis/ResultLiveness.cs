using System.Collections.Generic;
using ComImpersonation.Analyzers.Flow;
using Microsoft.CodeAnalysis.FlowAnalysis;

namespace ComImpersonation.Analyzers.Analysis
{
    /// <summary>
    /// Which result keys (locals, parameters, captures, fields that may hold an impersonation's result) are live on
    /// entry to each block: some path from there reads the key's binding (a failure test of it, or a copy from it)
    /// before anything binds it again. <see cref="ImpersonationDomain"/> drops the bindings of the other keys when a
    /// block starts, so the state carries only what can still matter. Without this, a long method with many result
    /// locals (one per block of code) drags every one of them through every later join, and the analysis grows with
    /// the square of the method's size.
    /// </summary>
    /// <remarks>
    /// A backward may-analysis over every edge the forward engine can follow: branches, the <c>finally</c> regions a
    /// branch runs and the continuations after them, and from any block inside a <c>try</c> to the handlers that an
    /// exception raised there may reach. Dropping a dead binding never changes what the analysis observes.
    /// </remarks>
    internal sealed class ResultLiveness
    {
        private readonly Dictionary<object, int> _keys;
        private readonly ulong[][] _liveIn;

        private ResultLiveness(Dictionary<object, int> keys, ulong[][] liveIn)
        {
            _keys = keys;
            _liveIn = liveIn;
        }

        /// <summary>True when the binding of <paramref name="key"/> may still be read from the start of <paramref name="block"/> on.</summary>
        public bool IsLiveOnEntry(BasicBlock block, object key) =>
            _keys.TryGetValue(key, out int index) && (_liveIn[block.Ordinal][index >> 6] & (1UL << (index & 63))) != 0;

        public static ResultLiveness Compute(ControlFlowGraph graph, Effect[]?[] effects, ResultTest?[] tests, ReturnValue?[] returns, HashSet<object> tracked)
        {
            var keys = new Dictionary<object, int>(tracked.Count);
            foreach (object key in tracked)
            {
                keys.Add(key, keys.Count);
            }

            int words = (keys.Count + 63) >> 6;
            int count = graph.Blocks.Length;
            var uses = new ulong[count][];
            var defs = new ulong[count][];
            var liveIn = new ulong[count][];
            for (int ordinal = 0; ordinal < count; ordinal++)
            {
                uses[ordinal] = new ulong[words];
                defs[ordinal] = new ulong[words];
                liveIn[ordinal] = new ulong[words];
                UsesAndDefinitions(effects[ordinal], tests[ordinal], returns[ordinal], keys, uses[ordinal], defs[ordinal]);
            }

            List<int>[] successors = Successors(graph);
            var liveOut = new ulong[words];
            for (bool changed = true; changed;)
            {
                changed = false;
                for (int ordinal = count - 1; ordinal >= 0; ordinal--)
                {
                    System.Array.Clear(liveOut, 0, words);
                    foreach (int successor in successors[ordinal])
                    {
                        ulong[] next = liveIn[successor];
                        for (int w = 0; w < words; w++)
                        {
                            liveOut[w] |= next[w];
                        }
                    }

                    ulong[] into = liveIn[ordinal];
                    ulong[] use = uses[ordinal];
                    ulong[] def = defs[ordinal];
                    for (int w = 0; w < words; w++)
                    {
                        ulong value = use[w] | (liveOut[w] & ~def[w]);
                        if (value != into[w])
                        {
                            into[w] = value;
                            changed = true;
                        }
                    }
                }
            }

            return new ResultLiveness(keys, liveIn);
        }

        private static void UsesAndDefinitions(Effect[]? effects, ResultTest? test, ReturnValue? returned, Dictionary<object, int> keys, ulong[] uses, ulong[] defs)
        {
            if (effects is not null)
            {
                foreach (Effect effect in effects)
                {
                    switch (effect.Kind)
                    {
                        case EffectKind.CopyResult:
                            Use(effect.SourceKey!, keys, uses, defs);
                            Define(effect.Key!, keys, defs);
                            break;
                        case EffectKind.EndIfBound:
                            Use(effect.Key!, keys, uses, defs);
                            break;
                        case EffectKind.BindResult:
                        case EffectKind.ClearResult:
                        case EffectKind.SetFlag:
                            Define(effect.Key!, keys, defs);
                            break;
                    }
                }
            }

            // The branch condition is tested after the block's operations.
            if (test is { Site: -1, Key: { } tested })
            {
                Use(tested, keys, uses, defs);
            }

            // So is the value a block returns: what it reports decides a hand-off.
            if (returned is { Key: { } returnedKey })
            {
                Use(returnedKey, keys, uses, defs);
            }
        }

        private static void Use(object key, Dictionary<object, int> keys, ulong[] uses, ulong[] defs)
        {
            if (keys.TryGetValue(key, out int index) && (defs[index >> 6] & (1UL << (index & 63))) == 0)
            {
                uses[index >> 6] |= 1UL << (index & 63);
            }
        }

        private static void Define(object key, Dictionary<object, int> keys, ulong[] defs)
        {
            if (keys.TryGetValue(key, out int index))
            {
                defs[index >> 6] |= 1UL << (index & 63);
            }
        }

        /// <summary>
        /// Every block the forward engine may go to from each block: branch destinations, the first block of the
        /// <c>finally</c> regions a branch runs, where each such <c>finally</c> continues when it ends, and the
        /// handlers of every enclosing <c>try</c> (an exception).
        /// </summary>
        private static List<int>[] Successors(ControlFlowGraph graph)
        {
            int count = graph.Blocks.Length;
            var successors = new List<int>[count];
            var afterFinally = new Dictionary<ControlFlowRegion, List<int>>();
            foreach (BasicBlock block in graph.Blocks)
            {
                List<int> list = successors[block.Ordinal] = new List<int>(2);
                foreach (ControlFlowBranch branch in FlowEdges.Branches(block))
                {
                    if (FlowEdges.Entry(branch) is { } entry)
                    {
                        list.Add(entry);
                    }

                    FlowEdges.AddFinallyContinuations(branch, afterFinally);
                }

                FlowEdges.AddHandlerEntries(block, list);
            }

            // The end of a finally region goes on where the branches that ran it were going.
            foreach (BasicBlock block in graph.Blocks)
            {
                if (FlowEdges.EndedFinally(block) is { } finallyRegion && afterFinally.TryGetValue(finallyRegion, out List<int>? continuations))
                {
                    successors[block.Ordinal].AddRange(continuations);
                }
            }

            return successors;
        }
    }
}
