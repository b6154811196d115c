using System.Collections.Generic;
using ComImpersonation.Analyzers.Api;
using ComImpersonation.Analyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ComImpersonation.Analyzers.Analysis
{
    /// <summary>A block's branch condition that tests an impersonation result.</summary>
    internal readonly struct ResultTest
    {
        public ResultTest(int site, object? key, bool failureWhenTrue, ResultTestKind kind = ResultTestKind.Other)
        {
            Site = site;
            Key = key;
            FailureWhenTrue = failureWhenTrue;
            Kind = kind;
        }

        /// <summary>
        /// A comparison with zero: <see cref="FailureWhenTrue"/> reads it as an HRESULT or status, for which zero is
        /// success; for a BOOL declared as <c>int</c> zero is failure, so such results read it the other way.
        /// </summary>
        public ResultTestKind Kind { get; }

        /// <summary><see cref="Site"/> for a test of the thread itself (<c>IsImpersonating()</c>).</summary>
        public const int AllSites = -2;

        /// <summary>The impersonation tested directly (<c>if (CoImpersonateClient() &lt; 0)</c>), or -1.</summary>
        public int Site { get; }

        /// <summary>The local or capture tested (<c>if (hr &lt; 0)</c>), when <see cref="Site"/> is -1.</summary>
        public object? Key { get; }

        public bool FailureWhenTrue { get; }
    }

    /// <summary>What kind of test a <see cref="ResultTest"/> is, where the result's shape changes its meaning.</summary>
    internal enum ResultTestKind : byte
    {
        Other,

        /// <summary><c>x == null</c>, <c>x is null</c>: no null branch where <c>x</c> holds a value that cannot be null.</summary>
        Null,

        /// <summary><c>r == 0</c>, <c>r != 0</c>, <c>r is 0</c>: the opposite sense for a BOOL declared as <c>int</c>.</summary>
        ZeroEquality,

        /// <summary><c>r &lt; 0</c>, <c>r &gt;= 0</c>: says nothing about a BOOL declared as <c>int</c>.</summary>
        ZeroOrder,
    }
}
