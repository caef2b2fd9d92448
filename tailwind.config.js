/** @type {import('tailwindcss').Config} */
module.exports = {
  content: ['./views/**/*.templ', './views/**/*.go'],
  theme: {
    extend: {
      colors: {
        brand: {
          50: '#eff8ff', 100: '#dbeefe', 200: '#bfe1fe', 300: '#93cefd', 400: '#60b2fa',
          500: '#3b92f6', 600: '#2574eb', 700: '#1d5fd8', 800: '#1e4daf', 900: '#1e438a', 950: '#172a54',
        },
      },
      fontFamily: {
        sans: ['Inter', 'ui-sans-serif', 'system-ui', '-apple-system', 'Segoe UI', 'Roboto', 'Helvetica Neue', 'Arial', 'sans-serif'],
      },
    },
  },
  plugins: [require('@tailwindcss/forms')],
};
