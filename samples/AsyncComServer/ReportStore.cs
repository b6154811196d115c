using System;
using System.IO;

namespace AsyncComServer
{
    /// <summary>
    /// The file work behind the reports. It knows nothing about COM: whose rights it runs with is decided by the
    /// caller, which impersonates the client where the files must be accessed as the client.
    /// </summary>
    internal sealed class ReportStore
    {
        private readonly string _templateDirectory;
        private readonly string _auditDirectory;

        public ReportStore(string templateDirectory, string auditDirectory)
        {
            _templateDirectory = templateDirectory;
            _auditDirectory = auditDirectory;
        }

        /// <summary>Renders a report from its template; the template's ACL decides who may read it.</summary>
        public string Render(string reportName)
        {
            if (reportName.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
            {
                throw new ArgumentException("Not a report name: " + reportName, nameof(reportName));
            }

            string template = File.ReadAllText(Path.Combine(_templateDirectory, reportName + ".template"));
            return template.Replace("{date}", DateTime.UtcNow.ToString("yyyy-MM-dd"), StringComparison.Ordinal);
        }

        /// <summary>Writes the report into a directory chosen by the client.</summary>
        public void WriteTo(string reportName, string directory) =>
            File.WriteAllText(Path.Combine(directory, reportName + ".txt"), Render(reportName));

        /// <summary>Deletes earlier copies of a report from a directory.</summary>
        public void DeleteOldCopies(string reportName, string directory)
        {
            foreach (string old in Directory.EnumerateFiles(directory, reportName + ".*.txt"))
            {
                File.Delete(old);
            }
        }

        /// <summary>Appends an audit record. Written as the client, the record's access check and owner are the client's.</summary>
        public void AppendAudit(string reportName, string action) =>
            File.AppendAllText(
                Path.Combine(_auditDirectory, "reports.log"),
                DateTime.UtcNow.ToString("O") + " " + action + " " + reportName + Environment.NewLine);
    }
}
