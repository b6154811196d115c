using System.Collections.Generic;
using ComImpersonation.Analyzers.Api;
using ComImpersonation.Analyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ComImpersonation.Analyzers.Analysis
{
    internal sealed partial class BodyModel
    {
        /// <summary>Delegates handed to APIs that run them on another thread (COMIMP006).</summary>
        private sealed partial class Builder
        {
            private void CollectHandoffs(IOperation call, System.Collections.Immutable.ImmutableArray<IArgumentOperation> arguments, IMethodSymbol api)
            {
                foreach (IArgumentOperation argument in arguments)
                {
                    IOperation value = ResultChecks.Unwrap(argument.Value);
                    if (value is IArrayCreationOperation { Initializer: { } initializer })
                    {
                        // params Action[] (Parallel.Invoke): each element is handed over.
                        foreach (IOperation element in initializer.ElementValues)
                        {
                            CollectHandoff(call, api, element.Syntax, element);
                        }
                    }
                    else
                    {
                        CollectHandoff(call, api, argument.Syntax, value);
                    }
                }
            }

            private void CollectHandoff(IOperation call, IMethodSymbol api, SyntaxNode argument, IOperation value)
            {
                value = DelegateTarget(value);
                if (value is ILocalReferenceOperation local && _delegateLocals.TryGetValue(local.Local, out IOperation? held))
                {
                    value = held; // Action work = () => …; Task.Run(work);
                }

                switch (value)
                {
                    case IFlowAnonymousFunctionOperation function:
                        _handoffs.Add(new Handoff(call, api, function, method: null, argument));
                        break;
                    case IMethodReferenceOperation reference:
                        _handoffs.Add(new Handoff(call, api, function: null, reference.Method, argument));
                        break;
                }
            }

            /// <summary>An argument is an async lambda, anonymous method or method group of an async method.</summary>
            private static bool RunsAsyncDelegate(IInvocationOperation invocation)
            {
                foreach (IArgumentOperation argument in invocation.Arguments)
                {
                    switch (DelegateTarget(argument.Value))
                    {
                        case IFlowAnonymousFunctionOperation { Symbol.IsAsync: true }:
                        case IMethodReferenceOperation { Method.IsAsync: true }:
                            return true;
                    }
                }

                return false;
            }

            private static IOperation DelegateTarget(IOperation value)
            {
                value = ResultChecks.Unwrap(value);
                return value is IDelegateCreationOperation creation ? ResultChecks.Unwrap(creation.Target) : value;
            }
        }
    }
}
