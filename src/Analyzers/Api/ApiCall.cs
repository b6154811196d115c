using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ComImpersonation.Analyzers.Api
{
    /// <summary>What a call turned out to be: the operation, how it reports failure, and a name for messages.</summary>
    internal readonly struct ApiCall
    {
        public static readonly ApiCall None = default;

        public ApiCall(ApiOperation operation, ResultShape shape, string displayName, ApiFamily family = ApiFamily.Configured, ImpersonationKind kind = ImpersonationKind.ComCallContext, ArgumentRule argumentRule = ArgumentRule.None, int threadArgument = -1, int tokenArgument = -1, ThreadRule threadRule = ThreadRule.NullIsCurrent, ApiForm? form = null)
        {
            Form = form;
            ThreadRule = threadRule;
            ThreadArgument = threadArgument;
            TokenArgument = tokenArgument;
            Operation = operation;
            Shape = shape;
            DisplayName = displayName;
            Family = family;
            Kind = kind;
            ArgumentRule = argumentRule;
        }

        public ApiOperation Operation { get; }

        /// <summary>The table row the call was recognised by; null for a method named in the options.</summary>
        public ApiForm? Form { get; }

        public ResultShape Shape { get; }

        public string DisplayName { get; }

        public ApiFamily Family { get; }

        /// <summary>For an impersonation: what it needs from the thread, which decides the rules that apply.</summary>
        public ImpersonationKind Kind { get; }

        /// <summary>An argument that refines the call (applied by <see cref="ApiModel.Classify(IInvocationOperation, ApiOptions)"/>).</summary>
        public ArgumentRule ArgumentRule { get; }

        /// <summary>The ordinal of the thread argument (<see cref="ApiForm.ThreadArgument"/>), or -1.</summary>
        public int ThreadArgument { get; }

        /// <summary>Which thread argument names the calling thread (<see cref="ApiForm.ThreadRule"/>).</summary>
        public ThreadRule ThreadRule { get; }

        /// <summary>The ordinal of the token argument (<see cref="ApiForm.TokenArgument"/>), or -1.</summary>
        public int TokenArgument { get; }

        public bool IsRecognized => Operation != ApiOperation.None;

        /// <summary>Only an impersonation of the COM call context is completed by Signal (COMIMP001, 003, 005).</summary>
        public bool IsComCallContext => Kind == ImpersonationKind.ComCallContext;

        /// <summary>A call context, COM or RPC, exists only on the thread that dispatches the call (COMIMP006 a, b).</summary>
        public bool NeedsDispatchThread => Kind >= ImpersonationKind.DispatchThread;

        public ApiCall With(ApiOperation operation, ImpersonationKind kind) =>
            new ApiCall(operation, Shape, DisplayName, Family, kind, ArgumentRule.None, ThreadArgument, TokenArgument, ThreadRule, Form);
    }
}
