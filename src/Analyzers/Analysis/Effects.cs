using System.Collections.Generic;
using ComImpersonation.Analyzers.Api;
using ComImpersonation.Analyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ComImpersonation.Analyzers.Analysis
{
    internal enum EffectKind : byte
    {
        Impersonate,
        Revert,
        Signal,
        Await,

        /// <summary>An operation that may throw: an exception here leaves with the state just before it.</summary>
        ThrowPoint,

        /// <summary>Work that cannot throw a managed exception (a call of a P/Invoke): done as whoever the thread is.</summary>
        Work,

        /// <summary><c>Key</c> now holds the result of impersonation site <c>Index</c>.</summary>
        BindResult,

        /// <summary><c>Key</c> now holds whatever <c>SourceKey</c> holds.</summary>
        CopyResult,

        /// <summary><c>Key</c> now holds something that is no impersonation's result.</summary>
        ClearResult,

        /// <summary>The bool <c>Key</c> is set to <c>true</c>: it now says that the active impersonations happened.</summary>
        SetFlag,

        /// <summary><c>Key</c> was just written with a value that cannot be null (a new object, <c>WindowsIdentity.GetCurrent()</c>).</summary>
        MarkNonNull,

        /// <summary><c>Key</c> was just written with the thread's token as it is now (<c>OpenThreadToken(…, out key)</c>).</summary>
        MarkSaved,

        /// <summary><c>Key.Dispose()</c>, <c>Undo()</c> or <c>Revert()</c>: ends the impersonation whose context or scope <c>Key</c> holds.</summary>
        EndIfBound,
    }

    /// <summary>One thing a block does that the analysis cares about, in evaluation order.</summary>
    internal readonly struct Effect
    {
        public Effect(EffectKind kind, int index = -1, object? key = null, object? sourceKey = null, IOperation? operation = null, bool mayThrow = false)
        {
            Kind = kind;
            MayThrow = mayThrow || kind == EffectKind.ThrowPoint || kind == EffectKind.Await;
            Index = index;
            Key = key;
            SourceKey = sourceKey;
            Operation = operation;
        }

        public EffectKind Kind { get; }

        /// <summary>The impersonation or signal site index, for those kinds.</summary>
        public int Index { get; }

        public object? Key { get; }

        public object? SourceKey { get; }

        public IOperation? Operation { get; }

        /// <summary>The operation may throw before it takes effect (a throwing projection, any ordinary call).</summary>
        public bool MayThrow { get; }
    }
}
