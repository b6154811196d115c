// .NET Framework's WindowsIdentity.Impersonate(), which throws on failure and returns the context that undoes it:
// a using block around the context and an explicit Undo in a finally; a method that returns the
// WindowsImpersonationContext for its caller to dispose; a session class that keeps the context in a field and
// undoes it in Dispose; and a method declared to return IDisposable whose body returns an undoer wrapping the
// context. Compiled against the .NET Framework 4.8 reference assemblies (the file name starts with NetFramework):
// .NET Core has no WindowsIdentity.Impersonate().
// positive-control: COMIMP002, COMIMP007
using System;
using System.IO;
using System.Security.Principal;

namespace ValidCode.NetFrameworkWindowsIdentity
{
    /// <summary>Reports kept on a share that each user may read only with their own rights.</summary>
    public sealed class ReportStore
    {
        private readonly string _share;

        public ReportStore(string share) => _share = share;

        public string Read(WindowsIdentity user, string name)
        {
            using (user.Impersonate())
            {
                return File.ReadAllText(Path.Combine(_share, name));
            }
        }

        public bool Exists(WindowsIdentity user, string name)
        {
            WindowsImpersonationContext context = user.Impersonate();
            try
            {
                return File.Exists(Path.Combine(_share, name));
            }
            finally
            {
                context.Undo(); // control: remove
            }
        }

        /// <summary>Starts acting as <paramref name="user"/>; the caller ends it by disposing the result.</summary>
        private static WindowsImpersonationContext BeginAs(WindowsIdentity user)
        {
            if (user == null)
            {
                throw new ArgumentNullException(nameof(user));
            }

            return user.Impersonate();
        }

        public void Write(WindowsIdentity user, string name, string text)
        {
            using (BeginAs(user))
            {
                File.WriteAllText(Path.Combine(_share, name), text);
            }
        }

        public void Append(WindowsIdentity user, string name, string text)
        {
            WindowsImpersonationContext context = BeginAs(user);
            try
            {
                File.AppendAllText(Path.Combine(_share, name), text);
            }
            finally
            {
                context.Dispose(); // control: remove
            }
        }
    }

    /// <summary>Acts as one user for its lifetime: <c>using (var session = new ImpersonatedSession(user)) { ... }</c>.</summary>
    public sealed class ImpersonatedSession : IDisposable
    {
        private WindowsImpersonationContext _context;

        public ImpersonatedSession(WindowsIdentity user)
        {
            if (user == null)
            {
                throw new ArgumentNullException(nameof(user));
            }

            _context = user.Impersonate();
        }

        public string UserName => WindowsIdentity.GetCurrent().Name;

        public void Dispose()
        {
            if (_context != null)
            {
                _context.Undo(); // control: remove
                _context = null;
            }
        }
    }

    /// <summary>Undoes an impersonation when disposed.</summary>
    internal sealed class ImpersonationUndoer : IDisposable
    {
        private readonly WindowsImpersonationContext _context;

        internal ImpersonationUndoer(WindowsImpersonationContext context) => _context = context;

        public void Dispose()
        {
            _context.Undo(); // control: remove
        }
    }

    public static class AuditLog
    {
        /// <summary>Acts as <paramref name="user"/> until the result is disposed.</summary>
        public static IDisposable ActAs(WindowsIdentity user)
        {
            WindowsImpersonationContext context = user.Impersonate();
            return new ImpersonationUndoer(context);
        }

        public static void Record(WindowsIdentity user, string path, string entry)
        {
            using (ActAs(user))
            {
                File.AppendAllText(path, entry + Environment.NewLine);
            }

            using (var session = new ImpersonatedSession(user))
            {
                File.AppendAllText(path, "by " + session.UserName + Environment.NewLine);
            }
        }
    }
}
