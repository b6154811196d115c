using System;
using System.Collections.Generic;
using System.Threading;
using ComImpersonation.Analyzers.Api;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ComImpersonation.Analyzers.Analysis
{
    /// <summary>Why a code block passed the pre-check (the benchmark counts these); <see cref="None"/>: it did not.</summary>
    internal enum PreCheckReason
    {
        None = 0,

        /// <summary>It calls a name the API model could recognise (a table entry, a renamed P/Invoke).</summary>
        CandidateName,

        /// <summary>It calls a name the options (<c>comimp.additional_methods</c>…) name.</summary>
        ConfiguredName,

        /// <summary>It passes a method group to a call named like a thread hand-off (<c>Task.Run(Work)</c>).</summary>
        HandoffCall,

        /// <summary>It passes a method group to <c>new Thread(…)</c> or <c>new Timer(…)</c>.</summary>
        HandoffCreation,

        /// <summary>It passes a method group to a target-typed <c>new(…)</c> that may create a Thread or Timer.</summary>
        TargetTypedHandoff,

        /// <summary>It calls a method whose name is in the wrapper-name index.</summary>
        WrapperCall,

        /// <summary>It creates an object whose type's name is in the wrapper-name index (a scope whose constructor may impersonate).</summary>
        WrapperCreation,
    }

    /// <summary>The syntactic pre-check (SPEC §6): which code is worth an operation tree and a control-flow graph.</summary>
    internal static class PreCheck
    {
        /// <summary>The names still to look up in the wrapper-name index; one list per thread, reused.</summary>
        [ThreadStatic]
        private static List<(string Name, bool Creation)>? t_pendingNames;

        /// <summary>
        /// Can the code (a member's code block, or a lambda in it) matter: does it call anything by a name the API model
        /// could recognise or the options name, call or create something named in the wrapper-name index (a method of the
        /// compilation that may impersonate, revert or signal), or hand such a method, as a method group, to an API that
        /// may run it on another thread? When it does none of these, nothing in it can impersonate, revert or signal, and
        /// it is given no operation tree and no control-flow graph.
        /// </summary>
        /// <remarks>
        /// Cheapest first: a tree whose text mentions none of those names is not walked at all
        /// (<see cref="MethodSummaries.MayMatterIn"/>; on a large project that is most trees). In a tree that does, the
        /// code is walked once; names that could be recognised end the walk, and the rest are looked up in the
        /// wrapper-name index after it. A call or creation shaped like a thread hand-off (<c>Task.Run(Work)</c>,
        /// <c>new Thread(Work)</c>, or a target-typed <c>new(Work)</c>, whose type is not written) counts only when the
        /// code names a method of the index: the hand-off is reported (COMIMP006) only when the method handed over
        /// impersonates, and a method group can name it directly or through a local (<c>Action a = Work; Task.Run(a);</c>).
        /// </remarks>
        public static bool MayMatter(SyntaxNode code, ApiModel api, ApiOptions options, MethodSummaries summaries, CancellationToken cancellationToken) =>
            Why(code, api, options, summaries, cancellationToken) != PreCheckReason.None;

        /// <summary>As <see cref="MayMatter"/>, and why: the first reason found, or <see cref="PreCheckReason.None"/>.</summary>
        public static PreCheckReason Why(SyntaxNode code, ApiModel api, ApiOptions options, MethodSummaries summaries, CancellationToken cancellationToken)
        {
            // Names the options give may be called from any tree; every other reason needs a name the tree's text mentions.
            if (!options.HasAdditionalMethods && !summaries.MayMatterIn(code.SyntaxTree, cancellationToken))
            {
                return PreCheckReason.None;
            }

            bool wrappers = options.InterproceduralDepth > 0;
            PreCheckReason handoff = PreCheckReason.None;
            List<(string Name, bool Creation)> pending = t_pendingNames ?? new List<(string Name, bool Creation)>();
            t_pendingNames = null; // taken: a nested call (none is expected) gets a list of its own
            try
            {
                foreach (SyntaxNode node in code.DescendantNodes())
                {
                    switch (node)
                    {
                        case InvocationExpressionSyntax invocation when ApiModel.CandidateCallName(invocation) is { } name:
                            if (api.CandidateNames.Contains(name))
                            {
                                return PreCheckReason.CandidateName;
                            }

                            if (options.HasAdditionalMethods && options.NamesMethod(name))
                            {
                                return PreCheckReason.ConfiguredName;
                            }

                            if (handoff == PreCheckReason.None && ApiModel.IsThreadHandoffName(name) && PassesMethodGroup(invocation.ArgumentList))
                            {
                                handoff = PreCheckReason.HandoffCall;
                            }

                            if (wrappers)
                            {
                                pending.Add((name, false));
                            }

                            break;

                        case BaseObjectCreationExpressionSyntax creation:
                            if (handoff == PreCheckReason.None && creation.ArgumentList is { } arguments && CouldBeThreadHandoff(creation) && PassesMethodGroup(arguments))
                            {
                                handoff = creation is ObjectCreationExpressionSyntax ? PreCheckReason.HandoffCreation : PreCheckReason.TargetTypedHandoff;
                            }

                            if (wrappers && creation is ObjectCreationExpressionSyntax { Type: var type } && MethodSummaries.RightmostName(type) is { } typeName)
                            {
                                pending.Add((typeName, true)); // a scope: its constructor may impersonate
                            }

                            break;
                    }
                }

                foreach ((string name, bool creation) in pending)
                {
                    if (summaries.MayBeWrapperName(name, cancellationToken))
                    {
                        return creation ? PreCheckReason.WrapperCreation : PreCheckReason.WrapperCall;
                    }
                }

                return handoff != PreCheckReason.None && NamesIndexedMethod(code, summaries, cancellationToken) ? handoff : PreCheckReason.None;
            }
            finally
            {
                pending.Clear();
                t_pendingNames = pending;
            }
        }

        /// <summary>
        /// Does the code name a method of the wrapper-name index anywhere (as a method group handed over, or assigned to
        /// a local that is)? Asked only of code with a hand-off-shaped call or creation that nothing else let through.
        /// </summary>
        private static bool NamesIndexedMethod(SyntaxNode code, MethodSummaries summaries, CancellationToken cancellationToken)
        {
            foreach (SyntaxNode node in code.DescendantNodes())
            {
                if (node is SimpleNameSyntax simple && summaries.MayBeWrapperName(simple.Identifier.ValueText, cancellationToken))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool CouldBeThreadHandoff(BaseObjectCreationExpressionSyntax creation) => creation switch
        {
            ObjectCreationExpressionSyntax { Type: var type } => MethodSummaries.RightmostName(type) is "Thread" or "Timer",
            _ => true, // target-typed new(...): the type is not written
        };

        private static bool PassesMethodGroup(ArgumentListSyntax arguments)
        {
            foreach (ArgumentSyntax argument in arguments.Arguments)
            {
                if (argument.Expression is IdentifierNameSyntax or MemberAccessExpressionSyntax)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
