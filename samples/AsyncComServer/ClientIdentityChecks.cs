using System;
using System.ComponentModel;
using System.IO;
using System.Runtime.InteropServices;

namespace AsyncComServer
{
    /// <summary>
    /// The same bugs with SSPI and the NT native API: a server that acts as the client it authenticated with SSPI,
    /// and a tool that puts a token on its own thread with NtSetInformationThread, leaving the impersonation on the
    /// thread or not looking at its status. Each reported line is marked "expect: COMIMPnnn" just above it.
    /// </summary>
    internal static class ClientIdentityChecks
    {
        private const int ThreadImpersonationToken = 5;

        [StructLayout(LayoutKind.Sequential)]
        internal struct SecHandle
        {
            public IntPtr Lower;
            public IntPtr Upper;
        }

        [DllImport("secur32.dll")]
        private static extern int ImpersonateSecurityContext(ref SecHandle context);

        [DllImport("secur32.dll")]
        private static extern int RevertSecurityContext(ref SecHandle context);

        [DllImport("ntdll.dll")]
        private static extern int NtSetInformationThread(IntPtr thread, int informationClass, ref IntPtr token, int length);

        [DllImport("kernel32.dll")]
        private static extern IntPtr GetCurrentThread();

        /// <summary>Correct: the SSPI impersonation is checked and ended in a finally.</summary>
        public static string ReadAsClient(ref SecHandle context, string path)
        {
            int status = ImpersonateSecurityContext(ref context);
            if (status != 0)
            {
                throw new Win32Exception(status);
            }

            try
            {
                return File.ReadAllText(path);
            }
            finally
            {
                RevertSecurityContext(ref context);
            }
        }

        /// <summary>Bug: the SECURITY_STATUS is never looked at (COMIMP004); a failed impersonation writes as the server.</summary>
        public static void WriteAsClient(ref SecHandle context, string path, string text)
        {
            // expect: COMIMP004
            ImpersonateSecurityContext(ref context);
            try
            {
                File.WriteAllText(path, text);
            }
            finally
            {
                RevertSecurityContext(ref context);
            }
        }

        /// <summary>Bug: nothing ends the impersonation (COMIMP002); the caller goes on as the client.</summary>
        public static long SizeAsClient(ref SecHandle context, string path)
        {
            // expect: COMIMP002
            int status = ImpersonateSecurityContext(ref context);
            if (status != 0)
            {
                throw new Win32Exception(status);
            }

            return new FileInfo(path).Length;
        }

        /// <summary>Bug: nothing takes the token off the thread again (COMIMP002); the caller goes on as the token.</summary>
        public static void BecomeUser(IntPtr token, Action work)
        {
            // expect: COMIMP002
            if (NtSetInformationThread(GetCurrentThread(), ThreadImpersonationToken, ref token, IntPtr.Size) < 0)
            {
                throw new Win32Exception("NtSetInformationThread failed");
            }

            work();
        }

        /// <summary>Bug: the NTSTATUS is never looked at (COMIMP004); the work may run as the tool, not the token.</summary>
        public static void RunAs(IntPtr token, Action work)
        {
            // expect: COMIMP004
            NtSetInformationThread(GetCurrentThread(), ThreadImpersonationToken, ref token, IntPtr.Size);
            try
            {
                work();
            }
            finally
            {
                IntPtr none = IntPtr.Zero;
                NtSetInformationThread(GetCurrentThread(), ThreadImpersonationToken, ref none, IntPtr.Size);
            }
        }
    }
}
