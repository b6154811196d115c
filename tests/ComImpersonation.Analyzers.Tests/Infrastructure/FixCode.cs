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

        /// <summary>
        /// The revert a fix writes in the flavour (issue 16): the revert acting on its own result,
        /// <c>if (failed) { Environment.FailFast("… failed: …"); }</c> in the family's failure test, or the plain call
        /// where the revert returns nothing. Continuation lines are indented with <paramref name="indent"/>.
        /// </summary>
        public static string WrittenRevert(Flavour flavour, string indent = Body) =>
            WrittenRevert(flavour.Revert, RevertFailure(flavour), RevertName(flavour), indent);

        /// <summary>
        /// The revert a fix writes for a token flavour's impersonation: the flavour's, or RevertToSelf where the flavour
        /// reverts with SetThreadToken (the class declares RevertToSelf beside it).
        /// </summary>
        public static string WrittenTokenRevert(Flavour flavour, string indent) =>
            flavour.Name == "Win32.SetThreadToken"
                ? WrittenRevert("NativeMethods.RevertToSelf()", "!{0}", "RevertToSelf", indent)
                : WrittenRevert(flavour, indent);

        /// <summary>
        /// <paramref name="revert"/> as a fix writes it: <c>if (</c><paramref name="failureFormat"/><c>) { Environment.FailFast(…); }</c>,
        /// <c>{0}</c> being the call, or the plain call when <paramref name="failureFormat"/> is null.
        /// </summary>
        public static string WrittenRevert(string revert, string? failureFormat, string name, string indent = Body) =>
            failureFormat is null
                ? revert + ";"
                : "if (" + string.Format(System.Globalization.CultureInfo.InvariantCulture, failureFormat, revert) + ")\n"
                    + indent + "{\n"
                    + indent + "    Environment.FailFast(\"" + name + " failed: the thread would go on running as the client.\");\n"
                    + indent + "}";

        /// <summary>The failure test a fix writes on the flavour's revert, <c>{0}</c> being the call; null where it returns nothing.</summary>
        private static string? RevertFailure(Flavour flavour)
        {
            if (flavour.Name.StartsWith("Rpc.", StringComparison.Ordinal))
            {
                return "{0} != 0";
            }

            if (flavour.Name.StartsWith("Win32.", StringComparison.Ordinal))
            {
                return flavour.Name is "Win32.IntBool" or "Win32.LibraryImport" ? "{0} == 0" : "!{0}";
            }

            return RuleCode.Kind(flavour) switch
            {
                ResultKind.Throwing => null,
                ResultKind.Int32 => "{0} < 0",
                ResultKind.UInt32 => "unchecked((int){0}) < 0",
                ResultKind.CsWin32Hresult or ResultKind.VanaraHresult => "{0}.Failed",
                ResultKind.TerraFXHresult => "(int){0} < 0",
                _ => throw new InvalidOperationException(flavour.Name + ": no revert check known"),
            };
        }

        /// <summary>The revert's documented name, as the FailFast message gives it.</summary>
        private static string RevertName(Flavour flavour)
        {
            if (flavour.Name.StartsWith("Rpc.", StringComparison.Ordinal))
            {
                return "RpcRevertToSelf";
            }

            if (flavour.Name.StartsWith("Win32.", StringComparison.Ordinal))
            {
                return "RevertToSelf";
            }

            return flavour.Revert.Contains("RevertToSelf()", StringComparison.Ordinal) && flavour.Revert.Contains("_security", StringComparison.Ordinal)
                ? "IServerSecurity.RevertToSelf"
                : "CoRevertToSelf";
        }

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
