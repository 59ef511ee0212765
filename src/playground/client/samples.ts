/**
 * The pictures the simulated user can pick in the chooseAvatar sheet. Drawn on a canvas and
 * exported as real PNG and JPEG files, so the page needs no binary asset and the server gets
 * bytes it sniffs as images, as from a phone's album.
 */
export interface SampleImage {
  name: string;
  /** The file extension of the temporary file: what the phone's album would have. */
  extension: 'png' | 'jpg';
  bytes: Uint8Array;
}

interface Sample {
  name: string;
  type: 'image/png' | 'image/jpeg';
  draw(g: CanvasRenderingContext2D, size: number): void;
}

const SIZE = 160;

const SAMPLES: Sample[] = [
  {
    name: 'Sunset',
    type: 'image/png',
    draw(g, s) {
      const sky = g.createLinearGradient(0, 0, 0, s);
      sky.addColorStop(0, '#ff9a3c');
      sky.addColorStop(1, '#7b2ff7');
      g.fillStyle = sky;
      g.fillRect(0, 0, s, s);
      g.fillStyle = '#ffe066';
      g.beginPath();
      g.arc(s * 0.5, s * 0.55, s * 0.2, 0, Math.PI * 2);
      g.fill();
      g.fillStyle = '#2b1055';
      g.fillRect(0, s * 0.7, s, s * 0.3);
    },
  },
  {
    name: 'Leaf',
    type: 'image/jpeg',
    draw(g, s) {
      g.fillStyle = '#07c160';
      g.fillRect(0, 0, s, s);
      g.fillStyle = '#e9fbe9';
      g.beginPath();
      g.ellipse(s / 2, s / 2, s * 0.18, s * 0.36, Math.PI / 4, 0, Math.PI * 2);
      g.fill();
      g.strokeStyle = '#07c160';
      g.lineWidth = s * 0.025;
      g.beginPath();
      g.moveTo(s * 0.3, s * 0.7);
      g.lineTo(s * 0.7, s * 0.3);
      g.stroke();
    },
  },
  {
    name: 'Waves',
    type: 'image/png',
    draw(g, s) {
      g.fillStyle = '#0b6bcb';
      g.fillRect(0, 0, s, s);
      g.strokeStyle = '#bfe3ff';
      g.lineWidth = s * 0.05;
      for (let row = 0; row < 3; row++) {
        const y = s * (0.3 + row * 0.2);
        g.beginPath();
        g.moveTo(0, y);
        for (let x = 0; x <= s; x += s / 4) g.quadraticCurveTo(x + s / 8, y - s * 0.08, x + s / 4, y);
        g.stroke();
      }
    },
  },
];

export const SAMPLE_NAMES: readonly string[] = SAMPLES.map((sample) => sample.name);

const made = new Map<number, Promise<SampleImage>>();

/** Sample `index`, drawn once and kept. */
export function sampleImage(index: number): Promise<SampleImage> {
  const sample = SAMPLES[index];
  if (!sample) return Promise.reject(new Error(`no sample image ${index}`));
  let image = made.get(index);
  if (!image) {
    image = draw(sample);
    made.set(index, image);
  }
  return image;
}

async function draw(sample: Sample): Promise<SampleImage> {
  const canvas = document.createElement('canvas');
  canvas.width = SIZE;
  canvas.height = SIZE;
  const g = canvas.getContext('2d');
  if (!g) throw new Error('this browser cannot draw on a canvas');
  sample.draw(g, SIZE);
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, sample.type, 0.9));
  if (!blob) throw new Error(`the canvas could not be exported as ${sample.type}`);
  const extension = sample.type === 'image/png' ? 'png' : 'jpg';
  return { name: sample.name, extension, bytes: new Uint8Array(await blob.arrayBuffer()) };
}
