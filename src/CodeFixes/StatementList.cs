using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ComImpersonation.CodeFixes
{
    /// <summary>
    /// A list of statements a fix can rearrange: a block's or a <c>switch</c> section's. A statement anywhere else
    /// (an embedded statement such as <c>if (x) Call();</c>, a top-level statement) is not in one, and the fixes
    /// that need to move or wrap statements are not offered there.
    /// </summary>
    internal readonly struct StatementList
    {
        private StatementList(SyntaxNode owner)
        {
            Owner = owner;
        }

        /// <summary>The <see cref="BlockSyntax"/> or <see cref="SwitchSectionSyntax"/> that holds the statements.</summary>
        public SyntaxNode Owner { get; }

        public SyntaxList<StatementSyntax> Statements => Owner switch
        {
            BlockSyntax block => block.Statements,
            SwitchSectionSyntax section => section.Statements,
            _ => default,
        };

        public static bool TryGet(StatementSyntax statement, out StatementList list, out int index)
        {
            if (statement.Parent is BlockSyntax or SwitchSectionSyntax)
            {
                list = new StatementList(statement.Parent);
                index = list.Statements.IndexOf(statement);
                return index >= 0;
            }

            list = default;
            index = -1;
            return false;
        }

        public static StatementList Of(BlockSyntax block) => new StatementList(block);

        /// <summary>The owner with <paramref name="statements"/> in place of its statements.</summary>
        public SyntaxNode With(SyntaxList<StatementSyntax> statements) => Owner switch
        {
            BlockSyntax block => block.WithStatements(statements),
            SwitchSectionSyntax section => section.WithStatements(statements),
            _ => Owner,
        };
    }
}
