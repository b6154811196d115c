namespace ComImpersonation.Analyzers.Api
{
    /// <summary>
    /// How a code fix writes the end of an impersonation that a row of <see cref="ApiTable.Forms"/> makes ("Revert in
    /// finally", "Revert before Signal"; SPEC §4: each fix keeps the user's interop flavour). The analysis never reads
    /// this: it recognises an end by the rows' operations and arguments, and a fix offers only an end that the
    /// analysis recognises as one.
    /// </summary>
    internal enum EndForm
    {
        /// <summary>No fix writes an end (the fix is not offered).</summary>
        None,

        /// <summary>
        /// A parameterless revert of the same family declared beside the impersonation: in the same P/Invoke class
        /// (<c>CoRevertToSelf()</c>, <c>RevertToSelf()</c>, <c>RpcRevertToSelf()</c>, renamed or not) or on the same
        /// interface, called on the same receiver (<c>security.RevertToSelf()</c>).
        /// </summary>
        PartnerRevert,

        /// <summary>
        /// A revert of the same family declared beside the impersonation that takes the same parameters, given the
        /// impersonation's own arguments the same way: SSPI's <c>RevertSecurityContext(ref context)</c> after
        /// <c>ImpersonateSecurityContext(ref context)</c>. Each argument must be a variable that still holds the same
        /// handle where the end goes.
        /// </summary>
        PartnerRevertWithSameArguments,

        /// <summary>
        /// The same function with its token argument made "no token", the thread and every other argument the same:
        /// <c>SetThreadToken(thread, IntPtr.Zero)</c>.
        /// </summary>
        SameCallWithoutToken,

        /// <summary>
        /// The same function with a zero handle where the token was, the token being passed by reference:
        /// <c>IntPtr noToken = IntPtr.Zero;</c> and <c>NtSetInformationThread(thread, ThreadImpersonationToken, ref noToken, size)</c>.
        /// A declaration that passes a buffer's address (<c>IntPtr information</c>) needs memory that holds the zero
        /// handle; the fix uses an overload declared beside it that takes the token by reference, or is not offered.
        /// </summary>
        SameCallWithZeroTokenByReference,

        /// <summary>A method of the context the impersonation returned, kept in a local: <c>context.Undo()</c>, <c>context.Dispose()</c>.</summary>
        ContextMethod,
    }

    /// <summary>A row's <see cref="EndForm"/>, a second form to try where the first cannot be written, and the context method's name.</summary>
    internal sealed class ImpersonationEnd
    {
        public static readonly ImpersonationEnd None = new ImpersonationEnd(EndForm.None, EndForm.None, methodName: null);

        public static readonly ImpersonationEnd PartnerRevert = new ImpersonationEnd(EndForm.PartnerRevert, EndForm.None, methodName: null);

        public static readonly ImpersonationEnd PartnerRevertWithSameArguments = new ImpersonationEnd(EndForm.PartnerRevertWithSameArguments, EndForm.None, methodName: null);

        /// <summary><c>SetThreadToken</c>: <c>RevertToSelf()</c> where the class declares it, else the call with no token.</summary>
        public static readonly ImpersonationEnd PartnerRevertElseSameCallWithoutToken = new ImpersonationEnd(EndForm.PartnerRevert, EndForm.SameCallWithoutToken, methodName: null);

        public static readonly ImpersonationEnd SameCallWithZeroTokenByReference = new ImpersonationEnd(EndForm.SameCallWithZeroTokenByReference, EndForm.None, methodName: null);

        private ImpersonationEnd(EndForm form, EndForm fallback, string? methodName)
        {
            Form = form;
            Fallback = fallback;
            MethodName = methodName;
        }

        public EndForm Form { get; }

        /// <summary>The form to write where <see cref="Form"/> cannot be (no such revert declared), or <see cref="EndForm.None"/>.</summary>
        public EndForm Fallback { get; }

        /// <summary>For <see cref="EndForm.ContextMethod"/>: the method to call on the context.</summary>
        public string? MethodName { get; }

        public static ImpersonationEnd ContextMethod(string methodName) => new ImpersonationEnd(EndForm.ContextMethod, EndForm.None, methodName);

        /// <summary>
        /// The end of a wrapper's impersonation (a method that impersonates and leaves the end to its caller): where the
        /// family's rows end by a method of the context they return (WindowsIdentity, NtApiDotNet), that method on the
        /// context the wrapper returns; otherwise the family's parameterless revert declared beside the wrapper.
        /// </summary>
        public static ImpersonationEnd ForWrapperOf(ApiFamily family)
        {
            foreach (ApiForm form in ApiTable.Forms)
            {
                if (form.Family == family && form.End.Form == EndForm.ContextMethod)
                {
                    return form.End;
                }
            }

            return PartnerRevert;
        }
    }

    /// <summary>
    /// The check a fix writes on a row's result: what "Throw on failure" makes of an impersonation whose result is
    /// dropped, and how a written revert's result is tested (SPEC §4: the family's own failure test). The exact code
    /// also depends on the declared result type (<see cref="ResultShape"/>); docs/impersonation-apis.md lists both.
    /// </summary>
    internal enum FailureCheck
    {
        /// <summary>A .NET method or throwing projection: failure throws, there is nothing to check.</summary>
        None,

        /// <summary>
        /// An HRESULT (negative is failure): <c>Marshal.ThrowExceptionForHR(hr)</c> (<c>unchecked((int)hr)</c> for a
        /// <c>uint</c>), or the struct's own <c>ThrowOnFailure()</c> / <c>ThrowIfFailed()</c>; tested as <c>hr &lt; 0</c>
        /// or <c>hr.Failed</c>.
        /// </summary>
        HResult,

        /// <summary>
        /// A Win32 BOOL (zero is failure, the error in GetLastError): <c>if (!ok) throw new Win32Exception();</c>, which
        /// reads the last error; tested as <c>!ok</c>, or <c>ok == 0</c> for a BOOL declared as an integer.
        /// </summary>
        LastError,

        /// <summary>
        /// An error code that is not zero on failure (RPC_STATUS, SECURITY_STATUS): <c>if (status != 0) throw new
        /// Win32Exception(status);</c>, whose message the system's message table gives for both.
        /// </summary>
        ErrorCode,

        /// <summary>
        /// An NTSTATUS (negative is failure): <c>Marshal.ThrowExceptionForHR(status | 0x10000000)</c>, that is
        /// <c>HRESULT_FROM_NT(status)</c>, an HRESULT with the NT facility bit that is negative exactly when the status
        /// is (Win32Exception would take the status for a Win32 error code); tested as <c>status &lt; 0</c>.
        /// </summary>
        NtStatus,
    }
}
