using System;

namespace ComImpersonation.Analyzers.Tests.Infrastructure
{
    /// <summary>Statements the fix tests write in every flavour, laid out the way the fixes' formatting leaves them.</summary>
    internal static class FixCode
    {
        /// <summary>Indentation of a statement in a method of <see cref="RuleCode.Class"/>.</summary>
        public const string Body = "        ";

        /// <summary>
        /// Impersonates with <paramref name="call"/> and returns on failure: <c>var hr = call;</c> and
        /// <c>if (failed) return;</c> on two lines, or the throwing call alone. Continuation lines are indented with
        /// <paramref name="indent"/>.
        /// </summary>
        public static string Checked(Flavour flavour, string call, string indent = Body) =>
            flavour.IsThrowing ? call + ";" : "var hr = " + call + ";\n" + indent + "if (" + flavour.Failed() + ") return;";

        /// <summary>Impersonates with <paramref name="call"/> and throws on failure, on two lines (or the throwing call alone).</summary>
        public static string CheckedOrThrow(Flavour flavour, string call, string indent = Body) =>
            flavour.IsThrowing ? call + ";" : "var hr = " + call + ";\n" + indent + "if (" + flavour.Failed() + ") throw new UnauthorizedAccessException();";

        /// <summary>What "Throw on failure" makes of <paramref name="result"/> in the flavour's own idiom (SPEC §4).</summary>
        public static string ThrowOnFailure(Flavour flavour, string result) => RuleCode.Kind(flavour) switch
        {
            ResultKind.Int32 => "Marshal.ThrowExceptionForHR(" + result + ")",
            ResultKind.UInt32 => "Marshal.ThrowExceptionForHR(unchecked((int)" + result + "))",
            ResultKind.CsWin32Hresult => result + ".ThrowOnFailure()",
            ResultKind.VanaraHresult => result + ".ThrowIfFailed()",
            ResultKind.TerraFXHresult => "Marshal.ThrowExceptionForHR((int)" + result + ")",
            _ => throw new InvalidOperationException(flavour.Name + " has no result to check"),
        };
    }
}
