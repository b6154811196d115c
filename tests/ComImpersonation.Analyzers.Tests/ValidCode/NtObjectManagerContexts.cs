// Code written against NtCoreLib (the library of the sandbox attack-surface tools): every Impersonate… method returns a
// ThreadImpersonationContext, which ends the impersonation when disposed or reverted. The library's types are declared
// here in miniature so that the file compiles on its own.
// positive-control: COMIMP002, COMIMP007
using System;
using NtCoreLib;
using NtCoreLib.Utilities.Token;

namespace NtCoreLib.Utilities.Token
{
    public sealed class ThreadImpersonationContext : IDisposable
    {
        public void Revert() { }

        public void Dispose() => Revert();
    }
}

namespace NtCoreLib
{
    public sealed class NtToken
    {
        public ThreadImpersonationContext Impersonate() => new ThreadImpersonationContext();
    }

    public sealed class NtThread
    {
        public static NtThread Current { get; } = new NtThread();

        public ThreadImpersonationContext Impersonate(NtToken token) => new ThreadImpersonationContext();
    }

    public sealed class NtNamedPipeFile
    {
        public ThreadImpersonationContext Impersonate() => new ThreadImpersonationContext();
    }
}

namespace ValidCode.NtObjectManagerContexts
{
    public static class AccessChecks
    {
        public static bool CanOpenAs(NtToken token, Func<bool> tryOpen)
        {
            using (token.Impersonate())
            {
                return tryOpen();
            }
        }

        public static string ServeClient(NtNamedPipeFile pipe, Func<string> work)
        {
            ThreadImpersonationContext context = pipe.Impersonate();
            try
            {
                return work();
            }
            finally
            {
                context.Revert(); // control: remove
            }
        }

        public static void OnThisThread(NtToken token, Action work)
        {
            var context = NtThread.Current.Impersonate(token);
            try
            {
                work();
            }
            finally
            {
                context.Dispose(); // control: remove
            }
        }
    }
}
