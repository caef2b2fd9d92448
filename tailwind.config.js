/** @type {import('tailwindcss').Config} */
module.exports = {
  content: ['./views/**/*.templ', './views/**/*.go'],
  theme: {
    extend: {
      colors: {
        // 600 is the filled buttons' blue: white text on it, and it as text on white, need
        // WCAG AA's 4.5:1 (Tailwind-like #2574eb gave 4.4).
        brand: {
          50: '#eff8ff', 100: '#dbeefe', 200: '#bfe1fe', 300: '#93cefd', 400: '#60b2fa',
          500: '#3b92f6', 600: '#1f6ae0', 700: '#1d5fd8', 800: '#1e4daf', 900: '#1e438a', 950: '#172a54',
        },
        // The muted greys are text colours here (hints, labels, table headings, counts), so
        // they are darkened until they reach 4.5:1 on every light surface the pages use
        // (white, slate-50, slate-100, brand-50, the amber of a new row). Tailwind's 400
        // (#94a3b8, 2.6:1 on white) and 500 (4.3:1 on slate-100) do not. On the dark
        // navigation bar use slate-300 for muted text.
        slate: { 400: '#627084', 500: '#5a687c' },
      },
      fontFamily: {
        sans: ['Inter', 'ui-sans-serif', 'system-ui', '-apple-system', 'Segoe UI', 'Roboto', 'Helvetica Neue', 'Arial', 'sans-serif'],
      },
    },
  },
  plugins: [require('@tailwindcss/forms')],
};
