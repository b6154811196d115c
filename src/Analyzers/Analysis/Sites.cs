using System.Collections.Generic;
using ComImpersonation.Analyzers.Api;
using ComImpersonation.Analyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ComImpersonation.Analyzers.Analysis
{
    /// <summary>
    /// The recognised call inside a method of the compilation that makes a call of that method impersonate, revert or
    /// signal (a wrapper, hand-off, client-identity call or scope): messages name it, and it is an additional location
    /// of the diagnostic (SPEC §3). Through nested wrappers it is the innermost recognised call, within the depth limit.
    /// </summary>
    internal sealed class CalleePlace
    {
        public CalleePlace(string apiName, Location location)
        {
            ApiName = apiName;
            Location = location;
        }

        /// <summary>The recognised API as messages name it (<c>CoImpersonateClient</c>, <c>ISynchronize.Signal</c>).</summary>
        public string ApiName { get; }

        /// <summary>The call, in the callee's body (possibly another file of the compilation).</summary>
        public Location Location { get; }

        /// <summary><paramref name="inner"/> when the call is itself a summarised call with a place inside, else the call itself.</summary>
        public static CalleePlace Of(IOperation call, string apiName, CalleePlace? inner) =>
            inner ?? new CalleePlace(apiName, call.Syntax.GetLocation());
    }

    /// <summary>A call that impersonates the client.</summary>
    internal sealed class ImpersonationSite
    {
        public ImpersonationSite(int index, IOperation operation, ApiCall api, BasicBlock? block = null, int statementIndex = -1, bool endedByItsValue = false, CalleePlace? inside = null)
        {
            Inside = inside;
            EndedByItsValue = endedByItsValue;
            Index = index;
            Operation = operation;
            Api = api;
            Block = block;
            StatementIndex = statementIndex;
        }

        public int Index { get; }

        /// <summary>
        /// Disposing or undoing the value the call returns ends the impersonation: a <c>WindowsImpersonationContext</c>,
        /// a scope, or what a hand-off returns to end it.
        /// </summary>
        public bool EndedByItsValue { get; }

        /// <summary>The call (or, for a scope, the object creation) that impersonates.</summary>
        public IOperation Operation { get; }

        public ApiCall Api { get; }

        /// <summary>The block whose statement (or branch value) holds the call, when it comes from a body's graph.</summary>
        public BasicBlock? Block { get; }

        /// <summary>That statement's index in <see cref="BasicBlock.Operations"/>; the operation count for the branch value.</summary>
        public int StatementIndex { get; }

        /// <summary>For a call of a summarised method: the impersonation inside it; null for a recognised API call.</summary>
        public CalleePlace? Inside { get; }
    }

    /// <summary>A call that ends impersonations: a revert, a revert wrapper, a dispose or undo of what ends one.</summary>
    internal sealed class RevertSite
    {
        public RevertSite(IOperation operation, string displayName, CalleePlace? inside)
        {
            Operation = operation;
            DisplayName = displayName;
            Inside = inside;
        }

        public IOperation Operation { get; }

        public string DisplayName { get; }

        /// <summary>For a call of a summarised method: the revert inside it; null for a recognised API call.</summary>
        public CalleePlace? Inside { get; }
    }

    /// <summary>A call that completes the asynchronous call: <c>Signal</c>, or a local function that may call it.</summary>
    internal sealed class SignalSite
    {
        public SignalSite(int index, IOperation operation, string displayName, CalleePlace? inside = null)
        {
            Index = index;
            Operation = operation;
            DisplayName = displayName;
            Inside = inside;
        }

        public int Index { get; }

        public IOperation Operation { get; }

        public string DisplayName { get; }

        /// <summary>For a call of a summarised method (a signal wrapper): the signal inside it; null otherwise.</summary>
        public CalleePlace? Inside { get; }
    }

    /// <summary>A delegate handed to an API that runs it on another thread (<c>Task.Run(() =&gt; …)</c>, <c>new Thread(Work)</c>).</summary>
    internal sealed class Handoff
    {
        public Handoff(IOperation call, IMethodSymbol api, IFlowAnonymousFunctionOperation? function, IMethodSymbol? method, SyntaxNode argument)
        {
            Call = call;
            Api = api;
            Function = function;
            Method = method;
            Argument = argument;
        }

        /// <summary>The invocation or object creation that hands the delegate over.</summary>
        public IOperation Call { get; }

        public IMethodSymbol Api { get; }

        /// <summary>The lambda or anonymous method handed over, if it is one.</summary>
        public IFlowAnonymousFunctionOperation? Function { get; }

        /// <summary>The method group's method (a local function or an ordinary method), if it is one.</summary>
        public IMethodSymbol? Method { get; }

        /// <summary>The argument (or, in a params array, the element) that hands the delegate over.</summary>
        public SyntaxNode Argument { get; }

        /// <summary>A short name for messages: <c>Task.Run</c>, <c>new Thread</c>.</summary>
        public string ApiDisplayName => Api.MethodKind == MethodKind.Constructor
            ? "new " + Api.ContainingType.Name
            : Api.ContainingType.Name + "." + Api.Name;
    }

    /// <summary>
    /// A call of a method that runs a delegate impersonated (<c>WindowsIdentity.RunImpersonated</c>), given an async
    /// delegate, whose Task is dropped.
    /// </summary>
    internal sealed class DroppedImpersonatedRun
    {
        public DroppedImpersonatedRun(IInvocationOperation call, ImpersonatedRunner runner)
        {
            Call = call;
            Runner = runner;
        }

        public IInvocationOperation Call { get; }

        public ImpersonatedRunner Runner { get; }
    }
}
