using System;
using System.ComponentModel;
using System.IO;
using System.IO.Pipes;
using System.Runtime.InteropServices;
using System.Security.Principal;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;

namespace AsyncComServer
{
    /// <summary>advapi32's thread-token functions, declared the pinvoke.net way.</summary>
    internal static class Advapi32
    {
        [DllImport("advapi32.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        internal static extern bool ImpersonateNamedPipeClient(SafePipeHandle namedPipe);

        [DllImport("advapi32.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        internal static extern bool ImpersonateLoggedOnUser(SafeAccessTokenHandle token);

        [DllImport("advapi32.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        internal static extern bool RevertToSelf();
    }

    /// <summary>
    /// The server's other front door: a named pipe whose clients ask for reports to be exported, and a "run as"
    /// helper for the nightly export. Not COM, so only the rules that are not about Signal apply (COMIMP002, 004,
    /// 006 across an await, 007). Each reported line is marked "expect: COMIMPnnn" just above it.
    /// </summary>
    internal sealed class PipeRequestHandler
    {
        private readonly ReportStore _store;

        public PipeRequestHandler(ReportStore store) => _store = store;

        /// <summary>Correct: checks the result, reverts in finally.</summary>
        public void Export(NamedPipeServerStream pipe, string name, string directory)
        {
            if (!Advapi32.ImpersonateNamedPipeClient(pipe.SafePipeHandle))
            {
                throw new Win32Exception(Marshal.GetLastWin32Error());
            }

            try
            {
                _store.WriteTo(name, directory);
            }
            finally
            {
                Advapi32.RevertToSelf();
            }
        }

        /// <summary>Bug: a failed impersonation goes unnoticed, so the files are deleted with the service's rights.</summary>
        public void Delete(NamedPipeServerStream pipe, string name, string directory)
        {
            // expect: COMIMP004
            Advapi32.ImpersonateNamedPipeClient(pipe.SafePipeHandle);
            try
            {
                _store.DeleteOldCopies(name, directory);
            }
            finally
            {
                Advapi32.RevertToSelf();
            }
        }

        /// <summary>Bug: the early return for an unknown report leaves the client's token on the pipe thread.</summary>
        public void Rename(NamedPipeServerStream pipe, string directory, string name, string newName)
        {
            // expect: COMIMP002
            if (!Advapi32.ImpersonateNamedPipeClient(pipe.SafePipeHandle))
            {
                return;
            }

            string source = Path.Combine(directory, name + ".txt");
            if (!File.Exists(source))
            {
                return;
            }

            File.Move(source, Path.Combine(directory, newName + ".txt"));
            Advapi32.RevertToSelf();
        }

        /// <summary>Bug: the export runs as the nightly account, but an exception skips the revert.</summary>
        public void ExportAs(SafeAccessTokenHandle nightlyAccount, string name, string directory)
        {
            // expect: COMIMP007
            if (!Advapi32.ImpersonateLoggedOnUser(nightlyAccount))
            {
                throw new Win32Exception(Marshal.GetLastWin32Error());
            }

            _store.WriteTo(name, directory);
            Advapi32.RevertToSelf();
        }

        /// <summary>Bug: the token stays on this thread while the continuation, and the revert, run on another.</summary>
        public async Task ExportAsAsync(SafeAccessTokenHandle nightlyAccount, string name, string directory)
        {
            // expect: COMIMP006
            if (!Advapi32.ImpersonateLoggedOnUser(nightlyAccount))
            {
                throw new Win32Exception(Marshal.GetLastWin32Error());
            }

            try
            {
                await Task.Run(() => _store.WriteTo(name, directory));
            }
            finally
            {
                Advapi32.RevertToSelf();
            }
        }

        /// <summary>Bug: fire and forget: the impersonated export goes on, unobserved, after this method returns.</summary>
        public void ExportLater(SafeAccessTokenHandle nightlyAccount, string name, string directory)
        {
            // expect: COMIMP006
            WindowsIdentity.RunImpersonated(nightlyAccount, async () => await Task.Run(() => _store.WriteTo(name, directory)));
        }
    }
}
