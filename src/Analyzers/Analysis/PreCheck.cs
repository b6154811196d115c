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
        /// Does the code (a member's code block, or a lambda in it) call anything by a name the API model could
        /// recognise, or hand a method group to an API that may run it on another thread? When it does not, nothing
        /// in it can impersonate, revert or signal, and it is given no operation tree and no control-flow graph.
        /// Names that are none of these are looked up in the wrapper-name index only after the walk, when nothing else matched: building that index costs a syntax
        /// walk of the compilation, which a compilation whose methods all call the APIs directly never pays.
        /// </summary>
        public static bool MayMatter(SyntaxNode code, ApiModel api, ApiOptions options, MethodSummaries summaries, CancellationToken cancellationToken) =>
            Why(code, api, options, summaries, cancellationToken) != PreCheckReason.None;

        /// <summary>As <see cref="MayMatter"/>, and why: the first reason found, or <see cref="PreCheckReason.None"/>.</summary>
        public static PreCheckReason Why(SyntaxNode code, ApiModel api, ApiOptions options, MethodSummaries summaries, CancellationToken cancellationToken)
        {
            bool wrappers = options.InterproceduralDepth > 0;
            List<(string Name, bool Creation)> pending = t_pendingNames ?? new List<(string Name, bool Creation)>();
            t_pendingNames = null; // taken: a nested call (none is expected) gets a list of its own
            try
            {
                foreach (SyntaxNode node in code.DescendantNodes())
                {
                    switch (node)
                    {
                        case InvocationExpressionSyntax invocation when ApiModel.InvokedName(invocation) is { } name:
                            if (api.CandidateNames.Contains(name))
                            {
                                return PreCheckReason.CandidateName;
                            }

                            if (options.HasAdditionalMethods && options.NamesMethod(name))
                            {
                                return PreCheckReason.ConfiguredName;
                            }

                            if (ApiModel.IsThreadHandoffName(name) && PassesMethodGroup(invocation.ArgumentList))
                            {
                                return PreCheckReason.HandoffCall;
                            }

                            if (wrappers)
                            {
                                pending.Add((name, false));
                            }

                            break;

                        case BaseObjectCreationExpressionSyntax creation:
                            if (creation.ArgumentList is { } arguments && CouldBeThreadHandoff(creation) && PassesMethodGroup(arguments))
                            {
                                return creation is ObjectCreationExpressionSyntax ? PreCheckReason.HandoffCreation : PreCheckReason.TargetTypedHandoff;
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

                return PreCheckReason.None;
            }
            finally
            {
                pending.Clear();
                t_pendingNames = pending;
            }
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
