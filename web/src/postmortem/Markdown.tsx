import { Lexer, type Token, type Tokens } from 'marked';
import type { ReactNode } from 'react';

/**
 * Markdown to React elements, never to an HTML string: a post-mortem quotes alert
 * annotations and timeline text, which come from outside. Raw HTML shows as text
 * and only web and mail links become links.
 */
export function Markdown({ source }: { source: string }) {
  return <div className="markdown">{blocks(Lexer.lex(source, { gfm: true }))}</div>;
}

const safeHref = (href: string): string | undefined => (/^(https?:|mailto:|#|\/)/i.test(href.trim()) ? href : undefined);

function blocks(tokens: readonly Token[]): ReactNode[] {
  return tokens.map((token, index) => block(token, index));
}

function block(token: Token, key: number): ReactNode {
  switch (token.type) {
    case 'heading': {
      const t = token as Tokens.Heading;
      const Tag = `h${Math.min(6, Math.max(2, t.depth + 1))}` as 'h2';
      return <Tag key={key}>{inline(t.tokens)}</Tag>;
    }
    case 'paragraph':
      return <p key={key}>{inline((token as Tokens.Paragraph).tokens)}</p>;
    case 'text': {
      const t = token as Tokens.Text;
      return <p key={key}>{t.tokens ? inline(t.tokens) : t.text}</p>;
    }
    case 'list': {
      const t = token as Tokens.List;
      const items = t.items.map((item, i) => (
        <li key={i}>
          {item.task && <input type="checkbox" checked={item.checked ?? false} readOnly disabled aria-label={item.checked ? 'done' : 'not done'} />}
          {item.tokens.map((child, j) => (child.type === 'text' ? <span key={j}>{inline((child as Tokens.Text).tokens ?? [child])}</span> : block(child, j)))}
        </li>
      ));
      return t.ordered ? (
        <ol key={key} start={typeof t.start === 'number' ? t.start : undefined}>
          {items}
        </ol>
      ) : (
        <ul key={key}>{items}</ul>
      );
    }
    case 'code':
      return (
        <pre key={key} className="code">
          <code>{(token as Tokens.Code).text}</code>
        </pre>
      );
    case 'blockquote':
      return <blockquote key={key}>{blocks((token as Tokens.Blockquote).tokens)}</blockquote>;
    case 'hr':
      return <hr key={key} />;
    case 'table': {
      const t = token as Tokens.Table;
      return (
        <div key={key} className="table-wrap">
          <table className="table compact">
            <thead>
              <tr>
                {t.header.map((cell, i) => (
                  <th key={i} scope="col" style={{ textAlign: t.align[i] ?? undefined }}>
                    {inline(cell.tokens)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {t.rows.map((row, r) => (
                <tr key={r}>
                  {row.map((cell, i) => (
                    <td key={i} style={{ textAlign: t.align[i] ?? undefined }}>
                      {inline(cell.tokens)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      );
    }
    case 'html':
      return (
        <p key={key} className="muted">
          {(token as Tokens.HTML).text}
        </p>
      );
    case 'space':
      return null;
    default:
      return 'text' in token ? <p key={key}>{String(token.text)}</p> : null;
  }
}

function inline(tokens: readonly Token[] | undefined): ReactNode[] {
  return (tokens ?? []).map((token, key) => {
    switch (token.type) {
      case 'strong':
        return <strong key={key}>{inline((token as Tokens.Strong).tokens)}</strong>;
      case 'em':
        return <em key={key}>{inline((token as Tokens.Em).tokens)}</em>;
      case 'del':
        return <del key={key}>{inline((token as Tokens.Del).tokens)}</del>;
      case 'codespan':
        return <code key={key}>{(token as Tokens.Codespan).text}</code>;
      case 'br':
        return <br key={key} />;
      case 'link': {
        const t = token as Tokens.Link;
        const href = safeHref(t.href);
        return href ? (
          <a key={key} href={href} target="_blank" rel="noreferrer noopener">
            {inline(t.tokens)}
          </a>
        ) : (
          <span key={key}>{inline(t.tokens)}</span>
        );
      }
      case 'image': {
        const t = token as Tokens.Image;
        return <span key={key}>[{t.text || 'image'}]</span>;
      }
      case 'text': {
        const t = token as Tokens.Text;
        return t.tokens ? <span key={key}>{inline(t.tokens)}</span> : <span key={key}>{decode(t.text)}</span>;
      }
      case 'escape':
        return <span key={key}>{decode((token as Tokens.Escape).text)}</span>;
      case 'html':
        return <span key={key}>{(token as Tokens.HTML).text}</span>;
      default:
        return 'text' in token ? <span key={key}>{String(token.text)}</span> : null;
    }
  });
}

/** The lexer leaves HTML entities of the source as they were written; show them as the characters they stand for. */
function decode(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (_, name: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[name] ?? _);
}
