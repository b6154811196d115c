// An SSPI server that acts as the client it authenticated, and a tool that puts a token on its own thread with the
// NT native API. Each acts on the status (SECURITY_STATUS: non-zero is failure; NTSTATUS: negative is failure) and
// ends the impersonation in a finally: RevertSecurityContext on the same context handle, or NtSetInformationThread
// with no token. Setting a suspended child's thread token is no impersonation of this thread and needs no revert.
// positive-control: COMIMP002, COMIMP007
using System;
using System.ComponentModel;
using System.IO;
using System.Runtime.InteropServices;

namespace ValidCode.SspiAndNtNative
{
    [StructLayout(LayoutKind.Sequential)]
    internal struct SecHandle
    {
        public IntPtr Lower;
        public IntPtr Upper;
    }

    internal static class Secur32
    {
        internal const int SEC_E_OK = 0;

        [DllImport("secur32.dll")]
        internal static extern int ImpersonateSecurityContext(ref SecHandle context);

        [DllImport("secur32.dll")]
        internal static extern int RevertSecurityContext(ref SecHandle context);
    }

    internal static class Ntdll
    {
        internal const int ThreadImpersonationToken = 5;

        [DllImport("ntdll.dll")]
        internal static extern int NtSetInformationThread(IntPtr thread, int informationClass, ref IntPtr token, int length);

        [DllImport("kernel32.dll")]
        internal static extern IntPtr GetCurrentThread();
    }

    /// <summary>Serves one authenticated connection.</summary>
    public sealed class AuthenticatedConnection
    {
        private SecHandle _context;

        public string ReadAsClient(string path)
        {
            int status = Secur32.ImpersonateSecurityContext(ref _context);
            if (status != Secur32.SEC_E_OK)
            {
                throw new Win32Exception(status);
            }

            try
            {
                return File.ReadAllText(path);
            }
            finally
            {
                Secur32.RevertSecurityContext(ref _context); // control: remove
            }
        }
    }

    /// <summary>Runs work under a token on the calling thread, and prepares a suspended child's thread.</summary>
    public static class ThreadTokens
    {
        public static void RunAs(IntPtr token, Action work)
        {
            int status = Ntdll.NtSetInformationThread(Ntdll.GetCurrentThread(), Ntdll.ThreadImpersonationToken, ref token, IntPtr.Size);
            if (status < 0)
            {
                throw new Win32Exception("NtSetInformationThread failed: 0x" + status.ToString("X8"));
            }

            try
            {
                work();
            }
            finally
            {
                IntPtr none = IntPtr.Zero;
                Ntdll.NtSetInformationThread(Ntdll.GetCurrentThread(), Ntdll.ThreadImpersonationToken, ref none, IntPtr.Size); // control: remove
            }
        }

        public static void PrepareChild(IntPtr childThread, IntPtr token)
        {
            // The child's thread, not this one: its token stays with the child.
            int status = Ntdll.NtSetInformationThread(childThread, Ntdll.ThreadImpersonationToken, ref token, IntPtr.Size);
            if (status < 0)
            {
                throw new Win32Exception("NtSetInformationThread failed: 0x" + status.ToString("X8"));
            }
        }
    }
}
