// Manager routines of an MS-RPC server (rpcrt4). Each impersonates the caller of the call it is dispatching,
// RpcImpersonateClient with a null binding or with the call's binding handle, acts on the RPC_STATUS (non-zero is
// failure: thrown, or returned as the routine's error_status_t) and reverts with RpcRevertToSelf or
// RpcRevertToSelfEx in a finally. A begin helper that refuses unauthenticated calls returns the RPC_STATUS; its
// callers revert in a finally when it says RPC_S_OK.
// positive-control: COMIMP002, COMIMP007
using System;
using System.ComponentModel;
using System.IO;
using System.Runtime.InteropServices;

namespace ValidCode.RpcServer
{
    internal static class Rpc
    {
        internal const int RPC_S_OK = 0;
        internal const int RPC_S_ACCESS_DENIED = 5;
        internal const int ERROR_FILE_NOT_FOUND = 2;

        [DllImport("rpcrt4.dll")]
        internal static extern int RpcImpersonateClient(IntPtr bindingHandle);

        [DllImport("rpcrt4.dll")]
        internal static extern int RpcRevertToSelf();

        [DllImport("rpcrt4.dll")]
        internal static extern int RpcRevertToSelfEx(IntPtr bindingHandle);
    }

    /// <summary>The server side of a small file service; the stubs call these on the dispatching thread.</summary>
    public sealed class FileServiceManager
    {
        private readonly string _root;

        public FileServiceManager(string root) => _root = root;

        // long GetSize([in, string] wchar_t* name): failures are raised to the stub as exceptions.
        public long GetSize(string name)
        {
            int status = Rpc.RpcImpersonateClient(IntPtr.Zero);
            if (status != Rpc.RPC_S_OK)
            {
                throw new Win32Exception(status);
            }

            try
            {
                return new FileInfo(Path.Combine(_root, name)).Length;
            }
            finally
            {
                Rpc.RpcRevertToSelf(); // control: remove
            }
        }

        // error_status_t Remove([in] handle_t binding, [in, string] wchar_t* name)
        public int Remove(IntPtr binding, string name)
        {
            int status = Rpc.RpcImpersonateClient(binding);
            if (status != Rpc.RPC_S_OK)
            {
                return status;
            }

            bool removed;
            try
            {
                string path = Path.Combine(_root, name);
                removed = File.Exists(path);
                if (removed)
                {
                    File.Delete(path);
                }
            }
            finally
            {
                Rpc.RpcRevertToSelfEx(binding); // control: remove
            }

            return removed ? Rpc.RPC_S_OK : Rpc.ERROR_FILE_NOT_FOUND;
        }

        /// <summary>Impersonates the caller unless the call is unauthenticated; RPC_S_OK means the caller must revert.</summary>
        private static int BeginCallerIdentity(bool authenticated)
        {
            if (!authenticated)
            {
                return Rpc.RPC_S_ACCESS_DENIED;
            }

            return Rpc.RpcImpersonateClient(IntPtr.Zero);
        }

        // error_status_t List([in, string] wchar_t* directory, [out] ...): the names are the caller's to see.
        public int List(string directory, bool authenticated, out string[] names)
        {
            names = Array.Empty<string>();
            int status = BeginCallerIdentity(authenticated);
            if (status != Rpc.RPC_S_OK)
            {
                return status;
            }

            try
            {
                names = Directory.GetFiles(Path.Combine(_root, directory));
            }
            catch (IOException e)
            {
                status = e.HResult;
            }
            finally
            {
                Rpc.RpcRevertToSelf(); // control: remove
            }

            return status;
        }

        public DateTime GetModified(string name, bool authenticated)
        {
            int status = BeginCallerIdentity(authenticated);
            if (status != Rpc.RPC_S_OK)
            {
                throw new Win32Exception(status);
            }

            try
            {
                return File.GetLastWriteTimeUtc(Path.Combine(_root, name));
            }
            finally
            {
                Rpc.RpcRevertToSelf(); // control: remove
            }
        }
    }
}
