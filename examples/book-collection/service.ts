/**
 * Book collection: a collection of references to book models, which clients add to,
 * edit and delete from. Every client sees every change live.
 *
 *   library.books          collection of references to the books, in the order added
 *   library.book.<id>      model { id, title, author }
 *
 *   call library.books.new     { title, author } → resource response: the new book
 *   call library.book.<id>.set { title?, author? }
 *   call library.books.delete  { id }
 *
 * Titles and authors must be non-empty strings: anything else is answered with
 * system.invalidParams.
 */
import { Errors, Service, ref, type ServiceOptions } from "@resgate-ts/service";
import type { Example } from "../lib/example.js";
import { members, optionalText, requiredId, requiredText } from "../lib/params.js";

export interface Book {
  readonly id: number;
  title: string;
  author: string;
}

interface NewBook {
  readonly title: string;
  readonly author: string;
}

interface BookChange {
  readonly title?: string;
  readonly author?: string;
}

function parseNewBook(params: unknown): NewBook {
  const m = members(params);
  return { title: requiredText(m, "title", "Title"), author: requiredText(m, "author", "Author") };
}

function parseBookChange(params: unknown): BookChange {
  const m = members(params);
  const title = optionalText(m, "title", "Title");
  const author = optionalText(m, "author", "Author");
  return { ...(title === undefined ? {} : { title }), ...(author === undefined ? {} : { author }) };
}

function parseBookId(params: unknown): number {
  return requiredId(members(params), "id", "Book ID");
}

const FIRST_BOOKS: readonly NewBook[] = [
  { title: "The Left Hand of Darkness", author: "Ursula K. Le Guin" },
  { title: "Kindred", author: "Octavia E. Butler" },
  { title: "Solaris", author: "Stanisław Lem" },
];

export function bookRid(id: number): string {
  return `library.book.${id}`;
}

/** The library service, with its first three books. */
export function libraryService(options?: ServiceOptions): Service {
  const service = new Service("library", options);
  const books = new Map<number, Book>();
  /** The ids of the collection's books, in the collection's order. */
  const order: number[] = [];
  let nextId = 1;

  for (const b of FIRST_BOOKS) {
    const book: Book = { id: nextId++, ...b };
    books.set(book.id, book);
    order.push(book.id);
  }

  /** The book a `book.$id` path parameter names, if any ("07" names nothing). */
  const bookOf = (id: string): Book | undefined =>
    /^[1-9][0-9]{0,15}$/.test(id) ? books.get(Number(id)) : undefined;

  // Both resources share one store, so they share one queue ("group"): requests on
  // the collection and on the books run one at a time, and their events are in order.
  service.handle("books", {
    type: "collection",
    group: "library",
    access: (r) => r.accessGranted(),
    get: (r) => r.collection(order.map((id) => ref(bookRid(id)))),
    call: {
      new: (r) => {
        const { title, author } = r.parseParams(parseNewBook);
        const book: Book = { id: nextId++, title, author };
        books.set(book.id, book);
        order.push(book.id);
        // Every client with the collection gets the reference, and the book with it.
        r.addEvent(order.length - 1, ref(bookRid(book.id)));
        // The caller gets the new book as a resource response.
        r.resource(bookRid(book.id));
      },
      delete: async (r) => {
        const id = r.parseParams(parseBookId);
        const idx = order.indexOf(id);
        if (idx < 0) throw Errors.notFound();
        order.splice(idx, 1);
        books.delete(id);
        r.removeEvent(idx);
        // Clients holding the book itself learn that it is gone. The book's queue is
        // this one ("library"), so this runs at once.
        await service.delete(bookRid(id));
        r.ok();
      },
    },
  });

  service.handle("book.$id", {
    type: "model",
    group: "library",
    access: (r) => r.accessGranted(),
    get: (r) => {
      const book = bookOf(r.pathParams.id);
      if (!book) return r.notFound();
      r.model({ id: book.id, title: book.title, author: book.author });
    },
    call: {
      set: (r) => {
        const book = bookOf(r.pathParams.id);
        if (!book) return r.notFound();
        const change = r.parseParams(parseBookChange);
        const changed: BookChange = {
          ...(change.title !== undefined && change.title !== book.title
            ? { title: change.title }
            : {}),
          ...(change.author !== undefined && change.author !== book.author
            ? { author: change.author }
            : {}),
        };
        if (changed.title !== undefined) book.title = changed.title;
        if (changed.author !== undefined) book.author = changed.author;
        r.changeEvent(changed); // nothing is sent when nothing changed
        r.ok();
      },
    },
  });

  return service;
}

export const bookCollection: Example = {
  name: "book-collection",
  title: "a collection of books to add, edit and delete, in sync in every browser",
  services: (options) => [libraryService(options)],
};
