using System;
using System.Collections.Generic;
using System.Threading;
using ComImpersonation.Analyzers.Api;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ComImpersonation.Analyzers.Analysis
{
    /// <summary>The syntactic pre-check (SPEC §6): which code is worth an operation tree and a control-flow graph.</summary>
    internal static class PreCheck
    {
        /// <summary>The names still to look up in the wrapper-name index; one list per thread, reused.</summary>
        [ThreadStatic]
        private static List<string>? t_pendingNames;

        /// <summary>
        /// Does the code (a member's code block, or a lambda in it) call anything by a name the API model could
        /// recognise, or hand a method group to an API that may run it on another thread? When it does not, nothing
        /// in it can impersonate, revert or signal, and it is given no operation tree and no control-flow graph.
        /// Names that are none of these are looked up in the wrapper-name index only after the walk, when nothing else matched: building that index costs a syntax
        /// walk of the compilation, which a compilation whose methods all call the APIs directly never pays.
        /// </summary>
        public static bool MayMatter(SyntaxNode code, ApiModel api, ApiOptions options, MethodSummaries summaries, CancellationToken cancellationToken)
        {
            bool wrappers = options.InterproceduralDepth > 0;
            List<string> pending = t_pendingNames ?? new List<string>();
            t_pendingNames = null; // taken: a nested call (none is expected) gets a list of its own
            try
            {
                foreach (SyntaxNode node in code.DescendantNodes())
                {
                    switch (node)
                    {
                        case InvocationExpressionSyntax invocation when ApiModel.InvokedName(invocation) is { } name:
                            if (api.CandidateNames.Contains(name)
                                || (options.HasAdditionalMethods && options.NamesMethod(name))
                                || (ApiModel.IsThreadHandoffName(name) && PassesMethodGroup(invocation.ArgumentList)))
                            {
                                return true;
                            }

                            if (wrappers)
                            {
                                pending.Add(name);
                            }

                            break;

                        case BaseObjectCreationExpressionSyntax creation:
                            if (creation.ArgumentList is { } arguments && CouldBeThreadHandoff(creation) && PassesMethodGroup(arguments))
                            {
                                return true;
                            }

                            if (wrappers && creation is ObjectCreationExpressionSyntax { Type: var type } && MethodSummaries.RightmostName(type) is { } typeName)
                            {
                                pending.Add(typeName); // a scope: its constructor may impersonate
                            }

                            break;
                    }
                }

                foreach (string name in pending)
                {
                    if (summaries.MayBeWrapperName(name, cancellationToken))
                    {
                        return true;
                    }
                }

                return false;
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
